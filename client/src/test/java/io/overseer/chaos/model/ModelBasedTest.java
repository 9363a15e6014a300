package io.overseer.chaos.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.JobState;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, scenario 8: a model-based test. Several clients, each a thread with its own channels,
 * take random steps on shared jobs against two real nodes on one PostgreSQL: create, claim,
 * heartbeat, complete, fail (retryable or not), add assets, cancel, stale tokens, two calls racing
 * on one job, and leases left to expire (short leases, 100 ms maintenance). After each step the
 * job and its event log are read back and checked against a simple model: terminal states never
 * change, event sequences are gapless and ordered, the job's state is its last STATE_CHANGED
 * event's, every transition is in SPEC.md's table, at most one lease per attempt, and no token
 * succeeds after its attempt ended or a later one was claimed. Each answer must also agree with
 * the model where it is certain (LEASE_LOST for a dead token, OK for a live one, the repeat of the
 * finishing call, INVALID_TRANSITION for cancelling a terminal job, the state a failure leads to).
 * At the end every job is driven to a terminal state; one that never gets there is lost.
 */
@Timeout(900)
class ModelBasedTest {
  private static final String SCENARIO = "model_based";
  private static final int CLIENTS = 4;

  @Test
  void randomStepsFromSeveralClientsAgreeWithTheModel() throws Exception {
    long seed = ChaosRun.seed(SCENARIO);
    int maxSteps = ChaosRun.size(2500, 25_000);
    Duration budget = ChaosRun.size(Duration.ofSeconds(40), Duration.ofSeconds(170));
    long started = System.nanoTime();
    String[] flags = {"--maintenance-interval=100ms", "--cancel-grace=" + ModelWorld.CANCEL_GRACE.toSeconds() + "s",
        "--stop-grace=" + ModelWorld.STOP_GRACE.toSeconds() + "s", "--log-level=error"};
    try (AutoCloseable quiet = ChaosRun.quietLogs();
        TestDatabase db = TestDatabase.create();
        TestServer a = TestServer.tcp(db, flags);
        TestServer b = TestServer.tcp(db, flags);
        Connection sql = db.connect()) {
      ModelWorld w = new ModelWorld(db);
      List<OverseerClient> clients = new ArrayList<>();
      ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
      ExecutorService racers = Executors.newCachedThreadPool();
      AtomicInteger steps = new AtomicInteger();
      long end = System.nanoTime() + budget.toNanos();
      try {
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
          OverseerClient own = client(t % 2 == 0 ? a : b, clients);
          OverseerClient other = client(t % 2 == 0 ? b : a, clients);
          Connection conn = db.connect();
          ModelClient mc = new ModelClient(w, own, other, new Random(seed + 7919L * t), conn, "worker-" + t, racers);
          running.add(threads.submit(() -> {
            try (conn) {
              while (steps.getAndIncrement() < maxSteps && System.nanoTime() < end && w.violations().size() < 20) {
                mc.step();
              }
            } catch (Throwable e) {
              w.violation("client thread failed: " + e);
              e.printStackTrace();
            }
            return null;
          }));
        }
        for (Future<?> f : running) {
          f.get(budget.toSeconds() + 120, TimeUnit.SECONDS);
        }
        int taken = Math.min(steps.get(), maxSteps);
        // a short run can miss a race whose precondition is rare (a live job with a dead lease):
        // one client goes on stepping, trying each race not yet run, until all ran (bounded)
        try (Connection conn = db.connect()) {
          ModelClient topUp = new ModelClient(w, client(a, clients), client(b, clients), new Random(seed - 1), conn, "worker-top-up", racers);
          for (int extra = 0; extra < 2_000 && w.violations().size() < 20; extra++) {
            List<Integer> missing = new ArrayList<>();
            for (int kind = 0; kind < ModelClient.RACES.size(); kind++) {
              if (w.counter("race_" + ModelClient.RACES.get(kind)) == 0) {
                missing.add(kind);
              }
            }
            if (missing.isEmpty()) {
              break;
            }
            topUp.step();
            for (int kind : missing) {
              topUp.race(kind);
            }
            taken++;
          }
        }
        long lost = drain(w, new ModelSteps(w, clients.get(0), clients.get(1), new Random(seed), sql, "drainer"));
        long finishedTwice = HostileInputTest.finishedTwice(sql) + w.counter("finished_twice");
        long successesAfterLaterClaims = w.recheckSuccesses();
        long gaps = HostileInputTest.count(sql, "SELECT count(*) FROM (SELECT e.job_id FROM job_events e JOIN jobs j ON j.id = e.job_id"
            + " GROUP BY e.job_id, j.last_sequence HAVING min(e.sequence) <> 1 OR max(e.sequence) <> count(*) OR max(e.sequence) <> j.last_sequence) t");
        Map<String, Long> counters = new TreeMap<>();
        w.counters.forEach((k, v) -> counters.put(k, v.get()));
        System.out.println("[" + SCENARIO + "] " + counters);
        long worst = w.worstRecoveryNanos.get();
        new ChaosRun.ResultRow(SCENARIO, seed)
            .core(taken, w.jobs.size(), lost, finishedTwice, worst < 0 ? null : Duration.ofNanos(worst))
            .put("clients", CLIENTS)
            .put("nodes", 2)
            .put("violations", w.violations().size())
            .put("late_predictions", w.counter("late_prediction"))
            .put("orphans_recovered", w.counter("orphan_recovered"))
            .put("seconds", (System.nanoTime() - started) / 1_000_000_000L)
            .publish();
        List<String> violations = w.violations();
        assertTrue(violations.isEmpty(), violations.size() + " violations (seed " + seed + "), e.g.:\n"
            + String.join("\n", violations.subList(0, Math.min(10, violations.size()))));
        assertEquals(0, lost, "jobs that never reached a terminal state");
        assertEquals(0, finishedTwice, "jobs finished twice");
        assertEquals(0, successesAfterLaterClaims, "tokens that succeeded after a later attempt was claimed");
        assertEquals(0, gaps, "event logs with gaps");
        for (String covered : List.of("create", "claim", "worker_ok", "cancel", "stale", "repeat_ok", "orphan_recovered", "serve", "stop", "append_logs",
            "race_complete+complete", "race_complete+fail", "race_stale+live", "race_cancel+complete", "race_heartbeat+fail", "race_claim")) {
          assertTrue(w.counter(covered) > 0, "the run never did " + covered);
        }
      } finally {
        threads.shutdownNow();
        racers.shutdownNow();
        clients.forEach(OverseerClient::close);
      }
    }
  }

  private static OverseerClient client(TestServer node, List<OverseerClient> all) {
    OverseerClient c = OverseerClient.builder().target(node.target()).deadline(Duration.ofSeconds(30)).build();
    all.add(c);
    return c;
  }

  /**
   * Drives every job to a terminal state: queued ones are cancelled, running ones whose lease a
   * client holds are failed with it, the others are asked to cancel (the grace period or the
   * lease's expiry ends them). Returns the jobs still not terminal after the deadline: lost.
   */
  private static long drain(ModelWorld w, ModelSteps s) {
    boolean done = Poll.eventually(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      boolean all = true;
      for (JobModel j : w.jobs) {
        j.lock.lock();
        try {
          w.observe(s.client, j);
          if (j.terminal()) {
            continue;
          }
          all = false;
          JobModel.Lease l = j.liveLease();
          if (JobModel.LEASED.contains(j.state) && l != null && !j.certainlyDead(l)) {
            s.checkFinish(j, l, "FAIL", false, Attempted.of(() -> s.client.workerStub().failJob(s.failure(j, l, false))), false, false);
            w.observe(s.client, j);
          } else if (j.state == JobState.JOB_STATE_QUEUED || (!j.cancelRequested && j.state != JobState.JOB_STATE_STOPPING)) {
            s.cancel(j);
          }
        } finally {
          j.lock.unlock();
        }
      }
      return all;
    });
    return done ? 0 : w.jobs.stream().filter(j -> !j.terminal()).count();
  }
}

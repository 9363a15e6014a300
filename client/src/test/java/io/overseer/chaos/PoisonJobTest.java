package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 7, poison job: a job whose handler takes its worker process down every time
 * ({@code Runtime.halt}) runs among ordinary jobs offered at a steady rate; a supervisor starts a
 * new worker process for every one that dies. The poison job ends FAILED after max_attempts with
 * the last error kept ("lease expired"), and the other jobs' throughput (completions per job
 * offered) drops by less than 10% while it is being retried.
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PoisonJobTest {
  private static final String QUEUE = "poison";
  private static final String SCENARIO = "poison-job";
  private static final long LEASE_MS = 2_000;
  /** The supervisor gives up after this many restarts (a bound, far above what a pass needs). */
  private static final int MAX_RESTARTS = 100;

  @Test
  void aPoisonJobFailsAfterItsAttemptsWithoutSlowingTheOthers() throws Exception {
    int maxAttempts = Chaos.pick(3, 5);
    int poisonCount = Chaos.pick(1, 2);
    int workerCount = Chaos.pick(4, 5);
    int perTick = Chaos.pick(2, 3); // ordinary jobs every 100 ms
    Duration baseline = Chaos.pick(Duration.ofSeconds(6), Duration.ofSeconds(15));
    Path dir = Chaos.workDir(SCENARIO);
    long started = System.nanoTime();
    List<WorkerProcess> all = new CopyOnWriteArrayList<>();
    AtomicInteger restarts = new AtomicInteger();
    // a supervisor: every 100 ms, a new worker process in each slot whose process died
    ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "supervisor");
      t.setDaemon(true);
      return t;
    });
    try (TestDatabase db = TestDatabase.create();
        NodeProcess node = NodeProcess.start("node", db.url(), dir, "--maintenance-interval=250ms");
        OverseerClient client = OverseerClient.builder().target(node.target()).deadline(Duration.ofSeconds(10)).build();
        Producer producer = new Producer(client, QUEUE, "poison", 10, new CallLog())) {
      String[] options = {"target=" + node.target(), "queue=" + QUEUE, "concurrency=2", "lease-ms=" + LEASE_MS,
          "work-ms=20-60", "claim-wait-ms=5000"};
      WorkerProcess[] slots = WorkerProcess.startReady(all, workerCount, "-g0", dir, options);
      supervisor.scheduleWithFixedDelay(() -> {
        for (int i = 0; i < slots.length && restarts.get() < MAX_RESTARTS; i++) {
          if (!slots[i].isAlive()) {
            try {
              slots[i] = WorkerProcess.start("w" + i + "-g" + restarts.incrementAndGet(), dir, options);
              all.add(slots[i]);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        }
      }, 0, 100, TimeUnit.MILLISECONDS); // the supervisor's polling pace
      Chaos.log(SCENARIO, started, "node and " + workerCount + " workers up");
      producer.startPaced("work", perTick, Duration.ofMillis(100));
      Poll.holdsFor(Duration.ofSeconds(3), "the producer runs without a permanent error (warm-up)", () -> producer.failure() == null);
      // the baseline starts once the workers keep up (no backlog from their warm-up left)
      Poll.until(Duration.ofSeconds(60), Duration.ofMillis(100), "the workers kept up with the offered load",
          () -> Audit.unfinished(db.url(), QUEUE) <= 5L * perTick);
      Instant baselineFrom = Instant.now();
      Poll.holdsFor(baseline, "the producer runs without a permanent error (the baseline window)", () -> producer.failure() == null);
      Instant poisonedAt = Instant.now();
      List<String> poison = new ArrayList<>();
      for (int i = 0; i < poisonCount; i++) {
        poison.add(client.create(CreateJobRequest.newBuilder().setType("poison").setQueue(QUEUE)
            .setMaxAttempts(maxAttempts).build()).getId());
      }
      Chaos.log(SCENARIO, started, poisonCount + " poison job(s) created");
      Poll.until(Duration.ofSeconds(maxAttempts * (LEASE_MS / 1000 + 10)), Duration.ofMillis(100), "the poison job ended FAILED",
          () -> poison.stream().allMatch(id -> JobState.JOB_STATE_FAILED == client.get(id).getState()));
      Instant poisonEnded = poison.stream().map(id -> ts(client.get(id).getFinishTime())).max(Instant::compareTo).orElseThrow();
      Chaos.log(SCENARIO, started, "poison job(s) FAILED; " + restarts.get() + " worker processes restarted");
      Poll.holdsFor(Duration.ofSeconds(2), "the producer runs without a permanent error (ordinary traffic after the poison phase)",
          () -> producer.failure() == null);
      producer.stop();
      assertNull(producer.failure(), "the producer hit a permanent error");
      Poll.value(Duration.ofMinutes(2), Duration.ofMillis(250), "every job finished (unfinished jobs)", () -> Audit.unfinished(db.url(), QUEUE), n -> n == 0);
      supervisor.shutdown();
      assertTrue(supervisor.awaitTermination(10, TimeUnit.SECONDS), "the supervisor stopped");

      Set<String> ids = new HashSet<>(producer.acknowledged());
      Audit.Result audit = Audit.check(db.url(), ids, all.stream().map(WorkerProcess::jobLog).toList());
      double base = rate(db, baselineFrom, poisonedAt);
      double during = rate(db, poisonedAt, poisonEnded);
      double drop = 1 - during / base;
      List<String> poisonProblems = new ArrayList<>();
      long worstOrphan = 0;
      for (String id : poison) {
        Job job = client.get(id);
        List<JobEvent> events = client.events(id);
        long claims = events.stream().filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
            && e.getState() == JobState.JOB_STATE_RUNNING).count();
        long crashes = 0;
        for (WorkerProcess w : all) {
          crashes += Files.readAllLines(w.jobLog()).stream().filter(l -> l.startsWith("P " + id + " ")).count();
        }
        if (job.getState() != JobState.JOB_STATE_FAILED || job.getAttempt() != maxAttempts
            || !job.getErrorMessage().equals("lease expired") || claims != maxAttempts || crashes != maxAttempts) {
          poisonProblems.add(id + ": " + job.getState() + " attempt " + job.getAttempt() + "/" + maxAttempts + " error '"
              + job.getErrorMessage() + "', " + claims + " claims, " + crashes + " crashes");
        }
        for (int i = 1; i < events.size(); i++) {
          if (events.get(i).getMessage().equals("lease expired")) {
            worstOrphan = Math.max(worstOrphan, Duration.between(ts(events.get(i - 1).getTime()), ts(events.get(i).getTime())).toMillis());
          }
        }
      }
      new ResultRow(SCENARIO, poison.size(), audit.jobs() + poison.size(), audit.lost(), audit.finishedTwice(), worstOrphan,
          ResultRow.extras("poison_jobs", poison.size(), "max_attempts", maxAttempts, "worker_restarts", restarts.get(),
              "baseline_completed_per_offered", round(base), "poisoned_completed_per_offered", round(during),
              "throughput_drop", round(drop), "poison_phase_s", Duration.between(poisonedAt, poisonEnded).toSeconds(),
              "handler_reruns", audit.handlerReruns(), "seconds", Chaos.millisSince(started) / 1000))
          .publish();
      assertTrue(poisonProblems.isEmpty(), () -> "poison job(s) not as expected: " + poisonProblems);
      assertEquals(0, audit.lost(), () -> "lost: " + audit.problems());
      assertEquals(0, audit.finishedTwice(), () -> "finished twice: " + audit.problems());
      assertEquals(0, audit.notCompleted(), () -> "not COMPLETED: " + audit.problems());
      assertTrue(restarts.get() >= maxAttempts * poisonCount, "every poison attempt took a worker down: " + restarts.get());
      // without a baseline that kept up, the drop below compares against nothing
      assertTrue(base >= 0.5, "the baseline window completed " + round(base) + " jobs per job offered");
      assertTrue(drop < 0.10, "the other jobs' throughput dropped by " + Math.round(drop * 100) + "%");
    } finally {
      supervisor.shutdown();
      supervisor.awaitTermination(10, TimeUnit.SECONDS);
      for (WorkerProcess w : all) {
        w.close();
      }
    }
  }

  /** Ordinary jobs completed in [from, to) per ordinary job created in it: 1.0 keeps up with the offered load. */
  private static double rate(TestDatabase db, Instant from, Instant to) throws Exception {
    try (var c = db.connect();
        var ps = c.prepareStatement("SELECT count(*) FILTER (WHERE finish_time >= ? AND finish_time < ? AND state = 'COMPLETED'),"
            + " count(*) FILTER (WHERE create_time >= ? AND create_time < ?) FROM jobs WHERE queue = ? AND type = 'work'")) {
      ps.setTimestamp(1, Timestamp.from(from));
      ps.setTimestamp(2, Timestamp.from(to));
      ps.setTimestamp(3, Timestamp.from(from));
      ps.setTimestamp(4, Timestamp.from(to));
      ps.setString(5, QUEUE);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) / (double) Math.max(1, rs.getLong(2));
      }
    }
  }

  private static double round(double d) {
    return Math.round(d * 1000) / 1000.0;
  }

  private static Instant ts(com.google.protobuf.Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}

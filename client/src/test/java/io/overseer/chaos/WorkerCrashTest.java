package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 1, worker crashes: worker processes run jobs while one of them is SIGKILLed every few
 * seconds and started again. Every job ends COMPLETED exactly once, and every attempt orphaned by
 * a kill is claimable again (re-queued, "lease expired") within lease + 2 s of the kill.
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class WorkerCrashTest {
  private static final String QUEUE = "crash";
  private static final long LEASE_MS = 3_000;
  private static final long ORPHAN_LIMIT_MS = LEASE_MS + 2_000;

  @Test
  void everyJobCompletesExactlyOnceWhileWorkersAreKilled() throws Exception {
    int jobCount = Chaos.pick(500, 10_000);
    int workerCount = Chaos.pick(4, 8);
    int concurrency = Chaos.pick(4, 8);
    int maxKills = Chaos.pick(3, 15);
    Duration killEvery = Chaos.pick(Duration.ofSeconds(2), Duration.ofSeconds(3));
    String workMs = Chaos.pick(150, 100) + "-" + Chaos.pick(350, 400);
    Path dir = Chaos.workDir("worker-crash");
    Map<String, Instant> killedAt = new HashMap<>();
    List<WorkerProcess> all = new ArrayList<>();
    long started = System.nanoTime();
    try (TestDatabase db = TestDatabase.create();
        NodeProcess node = NodeProcess.start("node", db.url(), dir, "--maintenance-interval=250ms");
        OverseerClient client = OverseerClient.builder().target(node.target()).deadline(Duration.ofSeconds(20)).build()) {
      Chaos.log("worker-crash", started, "node up");
      List<String> ids;
      try (Producer producer = new Producer(client, QUEUE, "crash", 100, new CallLog())) {
        ids = producer.create("work", jobCount, Duration.ofSeconds(60));
      }
      Chaos.log("worker-crash", started, jobCount + " jobs created");
      String[] options = {"target=" + node.target(), "queue=" + QUEUE, "concurrency=" + concurrency,
          "lease-ms=" + LEASE_MS, "work-ms=" + workMs, "claim-wait-ms=2000"};
      WorkerProcess[] slots = WorkerProcess.startReady(all, workerCount, "-g0", dir, options);

      Chaos.log("worker-crash", started, workerCount + " workers up");
      int kills = 0;
      long chaosEnd = System.nanoTime() + Chaos.pick(Duration.ofSeconds(90), Duration.ofMinutes(5)).toNanos();
      while (kills < maxKills && System.nanoTime() < chaosEnd) {
        // the chaos schedule's pace: a kill every killEvery, as long as jobs are left to finish
        if (Poll.eventually(killEvery, Duration.ofMillis(250), () -> Audit.unfinished(db.url(), QUEUE) == 0)) {
          break;
        }
        int slot = kills % workerCount;
        WorkerProcess victim = slots[slot];
        killedAt.put(victim.workerId(), Instant.now());
        victim.kill();
        kills++;
        Chaos.log("worker-crash", started, "killed " + victim.workerId() + "; unfinished " + Audit.unfinished(db.url(), QUEUE));
        slots[slot] = WorkerProcess.start("w" + slot + "-g" + kills, dir, options);
        all.add(slots[slot]);
      }
      Poll.value(Duration.ofMinutes(Chaos.pick(2, 4)), Duration.ofMillis(250), "every job finished (jobs still unfinished)",
          () -> Audit.unfinished(db.url(), QUEUE), n -> n == 0);

      Chaos.log("worker-crash", started, "all jobs finished");
      Audit.Result audit = Audit.check(db.url(), ids, all.stream().map(WorkerProcess::jobLog).toList());
      long worst = 0;
      int orphans = 0;
      int spurious = 0;
      List<String> late = new ArrayList<>();
      for (Audit.Orphan o : Audit.orphans(db.url())) {
        Instant kill = killedAt.get(o.workerId());
        if (kill == null) {
          spurious++; // a live worker's lease ran out (a stalled JVM on a loaded machine)
          continue;
        }
        orphans++;
        long recovery = Duration.between(kill, o.expiredAt()).toMillis();
        worst = Math.max(worst, recovery);
        if (recovery > ORPHAN_LIMIT_MS) {
          late.add(o.jobId() + " after " + recovery + " ms");
        }
      }
      new ResultRow("worker-crash", kills, audit.jobs(), audit.lost(), audit.finishedTwice(), worst,
          ResultRow.extras("orphans", orphans, "spurious_lease_expiries", spurious, "handler_reruns", audit.handlerReruns(),
              "worker_processes", workerCount, "lease_ms", LEASE_MS, "orphan_limit_ms", ORPHAN_LIMIT_MS,
              "seconds", Chaos.millisSince(started) / 1000))
          .publish();
      assertEquals(0, audit.lost(), () -> "lost jobs: " + audit.problems());
      assertEquals(0, audit.finishedTwice(), () -> "jobs finished twice: " + audit.problems());
      assertEquals(0, audit.notCompleted(), () -> "jobs not COMPLETED: " + audit.problems());
      assertTrue(kills >= Math.min(2, maxKills), "the schedule killed " + kills + " workers");
      assertTrue(orphans > 0, "no kill caught a job in flight: nothing was tested");
      assertTrue(late.isEmpty(), () -> "orphans claimable again later than " + ORPHAN_LIMIT_MS + " ms: " + late);
    } finally {
      for (WorkerProcess w : all) {
        w.close();
      }
    }
  }
}

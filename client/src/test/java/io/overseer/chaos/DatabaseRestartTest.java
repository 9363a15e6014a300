package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.server.testing.Poll;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.ListJobsRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4, database restart: the node's PostgreSQL (one of this test's own, even when
 * OVERSEER_TEST_DATABASE_URL is set) is stopped in immediate mode under load — a producer, worker
 * processes, watchers, a prober — and started again after a while. While it is down every failed
 * call is UNAVAILABLE with RetryInfo (never UNKNOWN, INTERNAL or a bare DEADLINE_EXCEEDED); within
 * 30 s of it coming back, new jobs are created and completed again at the pre-crash rate; nothing
 * is lost or finished twice; every watch resumes and sees every event once.
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DatabaseRestartTest {
  private static final String QUEUE = "dbrestart";
  private static final String SCENARIO = "database-restart";

  @Test
  void callsFailCleanlyWhileTheDatabaseIsDownAndEverythingResumesAfter() throws Exception {
    int cycles = Chaos.pick(1, 2);
    Duration down = Chaos.pick(Duration.ofSeconds(3), Duration.ofSeconds(10));
    int workerCount = Chaos.pick(2, 3);
    int perTick = Chaos.pick(3, 6); // jobs every 100 ms
    Path dir = Chaos.workDir(SCENARIO);
    long started = System.nanoTime();
    CallLog calls = new CallLog();
    List<WorkerProcess> workers = new ArrayList<>();
    try (RestartablePostgres pg = RestartablePostgres.start(dir.resolve("pgdata"))) {
      String url = pg.createDatabase("overseer");
      try (NodeProcess node = NodeProcess.start("node", url, dir, "--maintenance-interval=250ms");
          OverseerClient client = OverseerClient.builder().target(node.target()).deadline(Duration.ofSeconds(10)).build();
          Producer producer = new Producer(client, QUEUE, "dbr", 10, calls)) {
        WorkerProcess.startReady(workers, workerCount, "", dir, "target=" + node.target(), "queue=" + QUEUE, "concurrency=4",
            "lease-ms=5000", "work-ms=20-80", "claim-wait-ms=5000");
        Chaos.log(SCENARIO, started, "node and " + workerCount + " workers up");
        producer.startPaced("work", perTick, Duration.ofMillis(100));
        ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "prober");
          t.setDaemon(true);
          return t;
        });
        prober.scheduleWithFixedDelay(() -> probe(client, calls), 0, 100, TimeUnit.MILLISECONDS); // the prober's pace
        Watchers watchers = new Watchers();
        Set<String> extra = new HashSet<>();
        long worst = 0;
        double worstRatio = Double.MAX_VALUE;
        List<long[]> outages = new ArrayList<>();
        for (int cycle = 0; cycle < cycles; cycle++) {
          Poll.holdsFor(Duration.ofSeconds(4), "the producer runs without a permanent error (load before the crash)",
              () -> producer.failure() == null);
          List<String> slow = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            Job job = client.create(CreateJobRequest.newBuilder().setType("work").setQueue(QUEUE).setMaxAttempts(10)
                .setParams(Structs.toStruct(Map.of("sleep_ms", 2000))).build());
            slow.add(job.getId());
            watchers.watch(client, job.getId());
          }
          extra.addAll(slow);
          Poll.until(Duration.ofSeconds(30), "the watchers attached (each received its job's first event)",
              () -> watchers.attached(slow));
          Instant crashAt = Instant.now();
          long crashNanos = System.nanoTime();
          pg.crash();
          Chaos.log(SCENARIO, started, "PostgreSQL stopped (immediate)");
          Poll.holdsFor(down, "the producer runs without a permanent error (the outage)", () -> producer.failure() == null);
          pg.start();
          long upNanos = System.nanoTime();
          Instant upAt = Instant.now();
          Chaos.log(SCENARIO, started, "PostgreSQL started again");
          outages.add(new long[] {crashNanos, upNanos});
          // recovered: a job created now is completed by the workers
          Job probe = Poll.value(Duration.ofSeconds(60), Duration.ofMillis(100), "a job created within 60 s of the restart",
              () -> tryCreate(client), Objects::nonNull);
          extra.add(probe.getId());
          String probeId = probe.getId();
          Poll.until(Duration.ofSeconds(60), Duration.ofMillis(50), "the probe job completed", () -> isCompleted(client, probeId));
          long recovery = Chaos.millisSince(upNanos);
          Chaos.log(SCENARIO, started, "a new job was created and completed " + recovery + " ms after the restart");
          worst = Math.max(worst, recovery);
          Poll.holdsFor(Duration.ofSeconds(4), "the producer runs without a permanent error (load after recovery, for the throughput comparison)",
              () -> producer.failure() == null);
          List<Instant> done = Audit.completions(url, "work");
          double before = Audit.count(done, crashAt.minusSeconds(4), crashAt) / 4.0;
          Instant from = upAt.plusMillis(recovery);
          double after = Audit.count(done, from, from.plusSeconds(3)) / 3.0;
          worstRatio = Math.min(worstRatio, after / Math.max(before, 0.001));
          Chaos.log(SCENARIO, started, String.format("throughput %.1f/s before, %.1f/s after", before, after));
        }
        prober.shutdown();
        assertTrue(prober.awaitTermination(20, TimeUnit.SECONDS), "the prober stopped");
        producer.stop();
        assertNull(producer.failure(), "the producer hit a permanent error");
        Set<String> ids = new HashSet<>(producer.acknowledged());
        ids.addAll(extra);
        Poll.value(Duration.ofMinutes(2), Duration.ofMillis(250), "every job finished (unfinished jobs)", () -> Audit.unfinished(url, QUEUE), n -> n == 0);
        assertTrue(watchers.await(Duration.ofSeconds(90)), "watchers still running");
        Audit.Result audit = Audit.check(url, ids, workers.stream().map(WorkerProcess::jobLog).toList());
        List<CallLog.Call> failed = calls.calls().stream().filter(c -> !c.ok()).toList();
        List<CallLog.Call> bad = failed.stream().filter(c -> c.code() != Status.Code.UNAVAILABLE || !c.retryInfo()).toList();
        long duringOutage = calls.calls().stream().filter(c -> outages.stream().anyMatch(o -> c.startNanos() >= o[0] && c.startNanos() < o[1])).count();
        new ResultRow(SCENARIO, cycles, audit.jobs(), audit.lost(), audit.finishedTwice(), worst,
            ResultRow.extras("down_seconds", down.toSeconds(), "calls_while_down", duringOutage, "failed_calls", failed.size(),
                "failed_not_unavailable_with_retryinfo", bad.size(), "throughput_after_over_before", Math.round(worstRatio * 100) / 100.0,
                "watchers", watchers.count(), "watch_problems", watchers.problems().size(),
                "handler_reruns", audit.handlerReruns(), "seconds", Chaos.millisSince(started) / 1000))
            .publish();
        System.out.println("failed calls: " + CallLog.summary(failed));
        assertEquals(0, audit.lost(), () -> "lost: " + audit.problems());
        assertEquals(0, audit.finishedTwice(), () -> "finished twice: " + audit.problems());
        assertEquals(0, audit.notCompleted(), () -> "not COMPLETED: " + audit.problems());
        assertTrue(bad.isEmpty(), () -> "calls failed otherwise than UNAVAILABLE with RetryInfo: " + CallLog.summary(bad));
        assertTrue(failed.size() > 0, "no call failed: the outage was not observed");
        assertTrue(watchers.problems().isEmpty(), () -> "watch problems: " + watchers.problems());
        assertTrue(worst <= 30_000, "recovery took " + worst + " ms");
        assertTrue(worstRatio >= 0.5, "throughput after recovery was " + worstRatio + " of before");
      }
    } finally {
      for (WorkerProcess w : workers) {
        w.close();
      }
    }
  }

  /** Reads and claims (with no wait), again and again, so that every kind of call meets the outage. */
  private static void probe(OverseerClient client, CallLog calls) {
    try {
      calls.record("ListJobs", () -> client.listPage(ListJobsRequest.newBuilder().setQueue(QUEUE).setPageSize(5).build()));
      calls.record("ClaimJobs", () -> client.workerStub().claimJobs(ClaimJobsRequest.newBuilder()
          .setWorkerId("prober").addQueues("nothing-here").setMaxJobs(1).build()));
    } catch (RuntimeException e) {
      // recorded
    }
  }

  /** A job created now, or null if the call failed. */
  private static Job tryCreate(OverseerClient client) {
    try {
      return client.create(CreateJobRequest.newBuilder().setType("work").setQueue(QUEUE).setMaxAttempts(10).build());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean isCompleted(OverseerClient client, String id) {
    try {
      return client.get(id).getState() == io.overseer.v1.JobState.JOB_STATE_COMPLETED;
    } catch (RuntimeException e) {
      return false;
    }
  }
}

package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 3, server node crash: two nodes on one database under load (a producer through the
 * Java client, worker processes, watchers), each given both nodes as targets. A node is SIGKILLed
 * (in the long run: several times, alternating, each brought back on its port). The client and the
 * worker runtime fail over to the other node: no job lost, none finished twice, every watch sees
 * every event once. Recovery: from the kill until both a create and a completion succeed again.
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class NodeCrashTest {
  private static final String QUEUE = "nodes";
  private static final String SCENARIO = "node-crash";

  @Test
  void clientsAndWorkersFailOverWhenANodeDies() throws Exception {
    int cycles = Chaos.pick(1, 3);
    int workerCount = Chaos.pick(3, 4);
    int perTick = Chaos.pick(4, 10); // jobs every 100 ms
    Duration warmup = Chaos.pick(Duration.ofSeconds(3), Duration.ofSeconds(8));
    Duration afterKill = Chaos.pick(Duration.ofSeconds(5), Duration.ofSeconds(10));
    Path dir = Chaos.workDir(SCENARIO);
    long started = System.nanoTime();
    List<WorkerProcess> workers = new ArrayList<>();
    CallLog calls = new CallLog();
    try (TestDatabase db = TestDatabase.create();
        NodeProcess a = NodeProcess.start("node-a", db.url(), dir, "--maintenance-interval=250ms");
        NodeProcess b = NodeProcess.start("node-b", db.url(), dir, "--maintenance-interval=250ms")) {
      String targets = a.target() + "," + b.target();
      try (OverseerClient client = OverseerClient.builder().target(targets).deadline(Duration.ofSeconds(10)).build();
          Producer producer = new Producer(client, QUEUE, "nodes", 10, calls)) {
        WorkerProcess.startReady(workers, workerCount, "", dir, "target=" + targets, "queue=" + QUEUE, "concurrency=4",
            "lease-ms=3000", "work-ms=20-80", "claim-wait-ms=5000");
        Chaos.log(SCENARIO, started, "2 nodes and " + workerCount + " workers up");
        producer.startPaced("work", perTick, Duration.ofMillis(100));
        Watchers watchers = new Watchers();
        Set<String> slowJobs = new HashSet<>();
        List<Instant> kills = new ArrayList<>();
        List<Long> killNanos = new ArrayList<>();
        for (int cycle = 0; cycle < cycles; cycle++) {
          // the chaos schedule's pace: load for a while before each kill
          Poll.holdsFor(warmup, "the producer runs without a permanent error (before the kill)", () -> producer.failure() == null);
          // jobs that run across the kill, each followed by a watcher
          List<String> slow = new ArrayList<>();
          for (int i = 0; i < 6; i++) {
            Job job = client.create(CreateJobRequest.newBuilder().setType("work").setQueue(QUEUE).setMaxAttempts(10)
                .setParams(Structs.toStruct(Map.of("sleep_ms", 2500))).build());
            slow.add(job.getId());
            watchers.watch(client, job.getId());
          }
          slowJobs.addAll(slow);
          Poll.until(Duration.ofSeconds(30), "the watchers attached and the slow jobs started",
              () -> watchers.attached(slow) && slow.stream().allMatch(id -> client.get(id).getState() != JobState.JOB_STATE_QUEUED));
          NodeProcess victim = cycle % 2 == 0 ? a : b;
          kills.add(Instant.now());
          killNanos.add(System.nanoTime());
          victim.kill();
          Chaos.log(SCENARIO, started, "killed " + victim.target());
          try {
            Poll.holdsFor(afterKill, "the producer runs without a permanent error (after the kill)", () -> producer.failure() == null);
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + producer.failure(), producer.failure());
          }
          if (cycle < cycles - 1) {
            victim.restart();
            Chaos.log(SCENARIO, started, "restarted " + victim.target());
          }
        }
        producer.stop();
        assertNull(producer.failure(), "the producer hit a permanent error");
        Set<String> ids = new HashSet<>(producer.acknowledged());
        ids.addAll(slowJobs);
        Chaos.log(SCENARIO, started, ids.size() + " jobs created; waiting for the rest to finish");
        Poll.value(Duration.ofMinutes(2), Duration.ofMillis(250), "every job finished (unfinished jobs)", () -> Audit.unfinished(db.url(), QUEUE), n -> n == 0);
        assertTrue(watchers.await(Duration.ofSeconds(60)), "watchers still running");

        Audit.Result audit = Audit.check(db.url(), ids, workers.stream().map(WorkerProcess::jobLog).toList());
        List<Instant> completions = Audit.completions(db.url(), "work");
        long worst = 0;
        for (int k = 0; k < kills.size(); k++) {
          Instant kill = kills.get(k);
          long nanos = killNanos.get(k);
          long completed = completions.stream().filter(t -> t.isAfter(kill)).findFirst()
              .map(t -> Duration.between(kill, t).toMillis()).orElse(Long.MAX_VALUE);
          long created = calls.calls().stream().filter(c -> c.ok() && c.endNanos() > nanos)
              .mapToLong(c -> (c.endNanos() - nanos) / 1_000_000).min().orElse(Long.MAX_VALUE);
          worst = Math.max(worst, Math.max(completed, created));
        }
        long failedCalls = calls.calls().stream().filter(c -> !c.ok()).count();
        new ResultRow("node-crash", kills.size(), audit.jobs(), audit.lost(), audit.finishedTwice(), worst,
            ResultRow.extras("node_kills", kills.size(), "worker_processes", workerCount,
                "watchers", watchers.count(), "watch_problems", watchers.problems().size(),
                "failed_create_calls_retried", failedCalls, "handler_reruns", audit.handlerReruns(),
                "seconds", Chaos.millisSince(started) / 1000))
            .publish();
        assertEquals(0, audit.lost(), () -> "lost: " + audit.problems());
        assertEquals(0, audit.finishedTwice(), () -> "finished twice: " + audit.problems());
        assertEquals(0, audit.notCompleted(), () -> "not COMPLETED: " + audit.problems());
        assertTrue(watchers.problems().isEmpty(), () -> "watch problems: " + watchers.problems());
        assertTrue(worst < 30_000, "recovery took " + worst + " ms");
        for (WorkerProcess w : workers) {
          assertTrue(w.isAlive(), () -> w.workerId() + " died");
        }
      }
    } finally {
      for (WorkerProcess w : workers) {
        w.close();
      }
    }
  }
}

package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 2, zombie worker: a worker process holding a lease is paused (SIGSTOP) past the lease;
 * another worker claims the job and completes it; the first is continued (SIGCONT) and tries to
 * complete: refused with LEASE_LOST, and the job keeps the second worker's result. Every run
 * must pass. Runs alternate between a raw-stub zombie (which always sends its stale CompleteJob)
 * and a zombie running the Worker runtime (whose attempt must end LEASE_LOST, never COMPLETED).
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ZombieWorkerTest {
  private static final long LEASE_MS = 1_000;
  private static final String LOST = "FAILED_PRECONDITION/LEASE_LOST";

  record Run(boolean passed, boolean lost, boolean finishedTwice, long recoveryMs, String detail) {}

  @Test
  void aPausedWorkerCanNeverOverwriteTheJobOfTheWorkerThatTookItOver() throws Exception {
    int runs = Chaos.pick(6, 100);
    int zombies = Chaos.pick(1, 4);
    Path dir = Chaos.workDir("zombie");
    long started = System.nanoTime();
    List<ZombieProcess> processes = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(zombies);
    try (TestDatabase db = TestDatabase.create();
        NodeProcess node = NodeProcess.start("node", db.url(), dir, "--maintenance-interval=100ms");
        OverseerClient client = OverseerClient.builder().target(node.target()).deadline(Duration.ofSeconds(20)).build()) {
      for (int i = 0; i < zombies; i++) {
        processes.add(ZombieProcess.start("zombie-" + i, node.target(), "zw-" + i, LEASE_MS, dir));
      }
      for (ZombieProcess z : processes) {
        z.await(l -> l.equals("ready"), Duration.ofSeconds(90));
      }
      Chaos.log("zombie", started, zombies + " zombie processes up");
      List<Future<List<Run>>> futures = new ArrayList<>();
      for (int i = 0; i < zombies; i++) {
        int index = i;
        int share = runs / zombies + (i < runs % zombies ? 1 : 0);
        futures.add(pool.submit(() -> runAll(client, processes.get(index), index, share)));
      }
      List<Run> results = new ArrayList<>();
      for (Future<List<Run>> f : futures) {
        results.addAll(f.get(8, TimeUnit.MINUTES));
      }
      long passed = results.stream().filter(Run::passed).count();
      long lost = results.stream().filter(Run::lost).count();
      long twice = results.stream().filter(Run::finishedTwice).count();
      long worst = results.stream().mapToLong(Run::recoveryMs).max().orElse(0);
      new ResultRow("zombie-worker", results.size(), results.size(), lost, twice, worst,
          ResultRow.extras("passed", passed, "zombie_processes", zombies, "lease_ms", LEASE_MS,
              "seconds", Chaos.millisSince(started) / 1000))
          .publish();
      List<String> failures = results.stream().filter(r -> !r.passed()).map(Run::detail).toList();
      assertEquals(runs, results.size());
      assertTrue(failures.isEmpty(), () -> failures.size() + " of " + runs + " runs failed: " + failures);
      assertEquals(0, lost);
      assertEquals(0, twice);
    } finally {
      pool.shutdownNow();
      for (ZombieProcess z : processes) {
        z.close();
      }
    }
  }

  private static List<Run> runAll(OverseerClient client, ZombieProcess zombie, int index, int count) throws Exception {
    List<Run> runs = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      Run run = r % 2 == 0 ? rawRun(client, zombie, index) : runtimeRun(client, zombie, index);
      System.out.println("[chaos zombie] run " + index + "." + r + (run.passed() ? " passed: " : " FAILED: ") + run.detail());
      runs.add(run);
    }
    return runs;
  }

  /** The zombie holds a raw lease and, once continued, sends a heartbeat and CompleteJob with it. */
  private static Run rawRun(OverseerClient client, ZombieProcess zombie, int index) throws Exception {
    String queue = "zr-" + index;
    Job job = create(client, queue);
    zombie.send("claim " + queue);
    String claimed = zombie.await(l -> l.startsWith("claimed "), Duration.ofSeconds(30));
    if (!claimed.equals("claimed " + job.getId())) {
      return new Run(false, true, false, 0, "raw zombie claimed " + claimed + " instead of " + job.getId());
    }
    long recovery = stopAndTakeOver(client, zombie, job, index);
    String result = zombie.await(l -> l.startsWith("result " + job.getId()), Duration.ofSeconds(30));
    String[] f = result.split(" ");
    boolean refused = f[2].equals(LOST) && f[3].equals(LOST);
    return verdict(client, job, refused, !f[3].equals("OK") ? "" : "the zombie's CompleteJob was accepted", recovery,
        "raw: " + result);
  }

  /** The zombie runs the Worker runtime; its attempt must end LEASE_LOST. */
  private static Run runtimeRun(OverseerClient client, ZombieProcess zombie, int index) throws Exception {
    Job job = create(client, "zw-" + index);
    zombie.await(l -> l.startsWith("started " + job.getId()), Duration.ofSeconds(30));
    long recovery = stopAndTakeOver(client, zombie, job, index);
    String outcome = zombie.await(l -> l.startsWith("outcome " + job.getId()), Duration.ofSeconds(30));
    boolean refused = outcome.endsWith(" LEASE_LOST");
    return verdict(client, job, refused, outcome.endsWith(" COMPLETED") ? "the zombie completed the job" : "",
        recovery, "runtime: " + outcome);
  }

  /**
   * Freezes the zombie (SIGSTOP), lets the second worker take the job over, and tells the zombie to
   * complete it, continued (SIGCONT) whatever happened; ms from the stop to the takeover.
   */
  private static long stopAndTakeOver(OverseerClient client, ZombieProcess zombie, Job job, int index) throws Exception {
    long stoppedAt = System.nanoTime();
    zombie.stop();
    try {
      long recovery = takeOver(client, job, index, stoppedAt);
      zombie.send("complete " + job.getId());
      return recovery;
    } finally {
      zombie.resume();
    }
  }

  /** The second worker claims the job once the server re-queued it and completes it; ms since the stop. */
  private static long takeOver(OverseerClient client, Job job, int index, long stoppedAt) {
    List<Lease> leases = client.workerStub().withDeadlineAfter(40, TimeUnit.SECONDS)
        .claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("second-" + index).addQueues(job.getQueue())
            .setMaxJobs(1).setWait(com.google.protobuf.Duration.newBuilder().setSeconds(30))
            .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build())
        .getLeasesList();
    if (leases.isEmpty() || !leases.get(0).getJob().getId().equals(job.getId())) {
      throw new AssertionError("the second worker could not claim " + job.getId() + ": " + leases);
    }
    long recovery = Chaos.millisSince(stoppedAt);
    Job done = client.workerStub().completeJob(CompleteJobRequest.newBuilder().setJobId(job.getId())
        .setLeaseToken(leases.get(0).getLeaseToken())
        .setResult(Structs.toStruct(Map.of("by", "second"))).build());
    assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
    return recovery;
  }

  private static Run verdict(OverseerClient client, Job created, boolean refused, String doubleFinish, long recovery, String what) {
    Job job = client.get(created.getId());
    List<JobEvent> events = client.events(created.getId());
    long terminal = events.stream().filter(e -> e.getKind() == io.overseer.v1.JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
        && io.overseer.client.JobStates.isTerminal(e.getState())).count();
    Object by = Structs.toMap(job.getResult()).get("by");
    boolean kept = job.getState() == JobState.JOB_STATE_COMPLETED && "second".equals(by) && job.getAttempt() == 2;
    boolean twice = terminal > 1 || !doubleFinish.isEmpty();
    boolean lost = !io.overseer.client.JobStates.isTerminal(job.getState());
    boolean passed = refused && kept && !twice && !lost;
    return new Run(passed, lost, twice, recovery,
        what + " -> job " + job.getState() + " attempt " + job.getAttempt() + " by " + by + ", " + terminal + " terminal events " + doubleFinish);
  }

  private static Job create(OverseerClient client, String queue) {
    return client.create(CreateJobRequest.newBuilder().setType("zombie").setQueue(queue).setMaxAttempts(5).build());
  }
}

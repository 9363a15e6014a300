package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertLeaseLost;
import static io.overseer.server.worker.WorkerTesting.awaitState;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.claimOne;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.create;
import static io.overseer.server.worker.WorkerTesting.events;
import static io.overseer.server.worker.WorkerTesting.fail;
import static io.overseer.server.worker.WorkerTesting.failRequest;
import static io.overseer.server.worker.WorkerTesting.get;
import static io.overseer.server.worker.WorkerTesting.heartbeat;
import static io.overseer.server.worker.WorkerTesting.instant;
import static io.overseer.server.worker.WorkerTesting.lastEvent;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Leases: expiry and re-queue, fencing of the old worker, heartbeats, repeated completions. */
@Timeout(60)
class LeaseExpiryTest {
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  private static TestDatabase db;
  private static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db, "--maintenance-interval=100ms");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  @Test
  void expiredLeaseIsRequeuedAndTheOldWorkerIsFencedOff() {
    String queue = uniqueQueue("expiry");
    Job job = create(node, newJob(queue).setMaxAttempts(3));
    Lease first = claimOne(node, "w1", null, ONE_SECOND, queue);
    long claimed = System.nanoTime();

    // w1 goes silent: within lease + 2 s the server re-queues the job at once ("lease expired").
    Job requeued = awaitState(node, job.getId(), JobState.JOB_STATE_QUEUED, Duration.ofSeconds(3));
    long requeuedAfterMs = (System.nanoTime() - claimed) / 1_000_000;
    assertTrue(requeuedAfterMs >= 900, "re-queued before the lease ran out: " + requeuedAfterMs + " ms");
    assertEquals(1, requeued.getAttempt());
    assertFalse(instant(requeued.getRunAt()).isAfter(instant(requeued.getUpdateTime())), "orphans are re-queued without backoff");
    JobEvent expired = lastEvent(node, job.getId());
    assertEquals(JobEventKind.JOB_EVENT_KIND_STATE_CHANGED, expired.getKind());
    assertEquals(JobState.JOB_STATE_RUNNING, expired.getPreviousState());
    assertEquals(JobState.JOB_STATE_QUEUED, expired.getState());
    assertEquals("lease expired", expired.getMessage());
    assertEquals("system", expired.getActor());

    // While re-queued, w1's token is dead.
    assertLeaseLost(job.getId(), JobState.JOB_STATE_QUEUED, () -> heartbeat(node, first));
    // Another worker claims it (attempt 2); w1's late calls are all refused.
    Lease second = claimOne(node, "w2", Duration.ofSeconds(2), null, queue);
    assertEquals(2, second.getJob().getAttempt());
    assertEquals("w2", second.getJob().getWorkerId());
    assertLateCallsRefused(first, JobState.JOB_STATE_RUNNING);

    Job done = node.workers().completeJob(
        CompleteJobRequest.newBuilder().setJobId(job.getId()).setLeaseToken(second.getLeaseToken())
            .setResult(Struct.newBuilder().putFields("by", Value.newBuilder().setStringValue("w2").build())).build());
    assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
    assertLateCallsRefused(first, JobState.JOB_STATE_COMPLETED);

    Job after = get(node, job.getId());
    assertEquals(JobState.JOB_STATE_COMPLETED, after.getState());
    assertEquals("w2", after.getResult().getFieldsOrThrow("by").getStringValue(), "w1 overwrote nothing");
    assertEquals(5, events(node, job.getId()).size(), "created, claimed, lease expired, claimed, completed");
  }

  @Test
  void anOrphanOnItsLastAttemptFails() {
    String queue = uniqueQueue("last");
    Job job = create(node, newJob(queue).setMaxAttempts(1));
    Lease lease = claimOne(node, "w1", null, ONE_SECOND, queue);
    Job failed = awaitState(node, job.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(3));
    assertEquals("lease expired", failed.getErrorMessage());
    assertEquals(1, failed.getAttempt());
    assertTrue(failed.hasFinishTime());
    assertEquals("system", lastEvent(node, job.getId()).getActor());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_FAILED, () -> complete(node, lease));
  }

  @Test
  void leaseDurationMustBeOneSecondToOneHour() {
    for (Duration bad : List.of(Duration.ofMillis(500), Duration.ofHours(2))) {
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> claim(node, "w1", 1, null, bad, uniqueQueue("bad")));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("lease_duration"), e.getStatus().getDescription());
    }
  }

  @Test
  void aLeasePastItsExpiryIsLostEvenBeforeMaintenanceRuns() throws Exception {
    try (TestDatabase own = TestDatabase.create(); // no node with maintenance may share it
        TestServer idle = TestServer.inProcess(own, "--maintenance-interval=1h")) {
      String queue = uniqueQueue("idle");
      Job job = create(idle, newJob(queue));
      Lease lease = claimOne(idle, "w1", null, ONE_SECOND, queue);
      Instant expiry = instant(lease.getLeaseExpireTime());
      // the lease expires by the clock alone: nothing in the database changes (no maintenance runs)
      Poll.until(Duration.ofSeconds(10), "the clock passed the lease's expiry (" + expiry + ") by 100 ms",
          () -> Instant.now().isAfter(expiry.plusMillis(100)));
      assertLeaseLost(job.getId(), JobState.JOB_STATE_RUNNING, () -> heartbeat(idle, lease));
      assertLeaseLost(job.getId(), JobState.JOB_STATE_RUNNING, () -> complete(idle, lease));
      assertLeaseLost(job.getId(), JobState.JOB_STATE_RUNNING, () -> fail(idle, lease, "late", true));
      Job still = get(idle, job.getId());
      assertEquals(JobState.JOB_STATE_RUNNING, still.getState(), "no maintenance ran, and the late calls changed nothing");
      assertEquals(2, events(idle, job.getId()).size());
    }
  }

  @Test
  void heartbeatsKeepTheLeaseAlive() {
    String queue = uniqueQueue("alive");
    Job job = create(node, newJob(queue));
    Lease lease = claimOne(node, "w1", null, Duration.ofSeconds(2), queue);
    Instant[] previous = {instant(lease.getLeaseExpireTime())};
    // a worker on a 2 s lease heartbeats every 300 ms, here until well past the first lease's end
    Poll.holdsFor(Duration.ofMillis(4_500), Duration.ofMillis(300), "each heartbeat extends the lease", () -> {
      HeartbeatResponse beat = heartbeat(node, lease);
      Instant expiry = instant(beat.getLeaseExpireTime());
      assertTrue(expiry.isAfter(previous[0]), "each heartbeat extends the lease");
      assertFalse(beat.getCancelRequested());
      previous[0] = expiry;
      return true;
    });
    Job running = get(node, job.getId());
    assertEquals(JobState.JOB_STATE_RUNNING, running.getState());
    assertEquals(1, running.getAttempt(), "never re-queued while heartbeating");
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(node, lease).getState());
    assertEquals(3, events(node, job.getId()).size(), "heartbeats without changes write no events");
  }

  @Test
  void heartbeatWritesOneProgressEventPerChange() {
    String queue = uniqueQueue("progress");
    Job job = create(node, newJob(queue));
    Lease lease = claimOne(node, "w1", null, null, queue);
    HeartbeatRequest report =
        HeartbeatRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken())
            .setProgress(40).setStage("running").setMessage("half way").build();
    node.workers().heartbeat(report);
    List<JobEvent> events = events(node, job.getId());
    assertEquals(3, events.size());
    JobEvent progress = events.get(2);
    assertEquals(JobEventKind.JOB_EVENT_KIND_PROGRESS, progress.getKind());
    assertEquals(3, progress.getSequence());
    assertEquals(JobState.JOB_STATE_RUNNING, progress.getState());
    assertEquals(40, progress.getProgress());
    assertEquals("running", progress.getStage());
    assertEquals("half way", progress.getMessage());
    assertEquals("w1", progress.getWorkerId());
    assertEquals("anonymous", progress.getActor());

    node.workers().heartbeat(report); // identical: no event
    heartbeat(node, lease); // nothing reported: no event
    assertEquals(3, events(node, job.getId()).size());

    // progress alone: one event; stage and message are kept
    node.workers().heartbeat(HeartbeatRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken()).setProgress(41).build());
    events = events(node, job.getId());
    assertEquals(4, events.size());
    assertEquals(41, events.get(3).getProgress());
    assertEquals("running", events.get(3).getStage());
    // a heartbeat may ask for a longer lease than the claim's
    HeartbeatResponse longer = node.workers().heartbeat(HeartbeatRequest.newBuilder().setJobId(job.getId())
        .setLeaseToken(lease.getLeaseToken()).setLeaseDuration(WorkerTesting.proto(Duration.ofMinutes(10))).build());
    long leftMs = Duration.between(Instant.now(), instant(longer.getLeaseExpireTime())).toMillis();
    assertTrue(leftMs > 590_000 && leftMs <= 601_000, "lease extended by 10 min, left " + leftMs + " ms");
    assertEquals(4, events(node, job.getId()).size());

    // an asset under the live lease: recorded with its job's owner, one ASSET_ADDED event
    Asset asset = node.workers().addAsset(AddAssetRequest.newBuilder().setJobId(job.getId())
        .setLeaseToken(lease.getLeaseToken()).setAssetType("video").setUri("s3://b/out.mp4").setSizeBytes(42).build());
    assertEquals(job.getId(), asset.getJobId());
    assertEquals("anonymous", asset.getOwner());
    assertEquals(42, asset.getSizeBytes());
    JobEvent added = lastEvent(node, job.getId());
    assertEquals(JobEventKind.JOB_EVENT_KIND_ASSET_ADDED, added.getKind());
    assertEquals(5, added.getSequence());
    assertEquals(asset.getId(), added.getAssetId());

    Job running = get(node, job.getId());
    assertEquals(41, running.getProgress());
    assertEquals("running", running.getStage());
    assertEquals("half way", running.getMessage());
    assertEquals(JobState.JOB_STATE_RUNNING, running.getState(), "progress does not change the state");
    complete(node, lease);
  }

  @Test
  void garbageAndForeignTokensAreLeaseLost() {
    String queue = uniqueQueue("garbage");
    Job a = create(node, newJob(queue));
    Job b = create(node, newJob(queue));
    List<Lease> leases = claim(node, "w1", 2, null, null, queue);
    assertEquals(2, leases.size());
    Lease leaseA = leases.get(0).getJob().getId().equals(a.getId()) ? leases.get(0) : leases.get(1);
    Lease leaseB = leases.get(0) == leaseA ? leases.get(1) : leases.get(0);
    Lease garbage = leaseA.toBuilder().setLeaseToken("not-a-token").build();
    assertLeaseLost(a.getId(), JobState.JOB_STATE_RUNNING, () -> heartbeat(node, garbage));
    assertLeaseLost(a.getId(), JobState.JOB_STATE_RUNNING, () -> complete(node, garbage));
    assertLeaseLost(a.getId(), JobState.JOB_STATE_RUNNING, () -> fail(node, garbage, "x", false));
    // b's token on a
    Lease foreign = leaseA.toBuilder().setLeaseToken(leaseB.getLeaseToken()).build();
    assertLeaseLost(a.getId(), JobState.JOB_STATE_RUNNING, () -> complete(node, foreign));
    Job queued = create(node, newJob(uniqueQueue("never-claimed")));
    Lease onQueued = leaseA.toBuilder().setJob(queued).build();
    assertLeaseLost(queued.getId(), JobState.JOB_STATE_QUEUED, () -> heartbeat(node, onQueued));
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(node, leaseA).getState());
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(node, leaseB).getState());
  }

  @Test
  void theFinishingLeaseMayRepeatItsCall() {
    String queue = uniqueQueue("repeat");
    Job job = create(node, newJob(queue));
    Lease lease = claimOne(node, "w1", null, null, queue);
    Job first = complete(node, lease);
    Job again = complete(node, lease);
    assertEquals(JobState.JOB_STATE_COMPLETED, again.getState());
    assertEquals(first.getFinishTime(), again.getFinishTime());
    assertEquals(3, events(node, job.getId()).size(), "the repeat wrote nothing");
    // other calls with the finishing lease are refused
    assertLeaseLost(job.getId(), JobState.JOB_STATE_COMPLETED, () -> heartbeat(node, lease));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_COMPLETED, () -> fail(node, lease, "x", false));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_COMPLETED,
        () -> node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(job.getId())
            .setLeaseToken(lease.getLeaseToken()).setPartial(true).setErrorMessage("other outcome").build()));

    Job failing = create(node, newJob(queue));
    Lease failLease = claimOne(node, "w1", null, null, queue);
    assertEquals(failing.getId(), failLease.getJob().getId());
    assertEquals(JobState.JOB_STATE_FAILED, fail(node, failLease, "bad input", false).getState());
    Job repeated = node.workers().failJob(failRequest(failLease, "bad input", false).build());
    assertEquals(JobState.JOB_STATE_FAILED, repeated.getState());
    assertEquals("bad input", repeated.getErrorMessage());
    assertLeaseLost(failing.getId(), JobState.JOB_STATE_FAILED, () -> complete(node, failLease));
  }

  /** Every worker call of a lost lease is LEASE_LOST and the job reports {@code state}. */
  private static void assertLateCallsRefused(Lease lost, JobState state) {
    String id = lost.getJob().getId();
    assertLeaseLost(id, state, () -> heartbeat(node, lost));
    assertLeaseLost(id, state, () -> complete(node, lost));
    assertLeaseLost(id, state, () -> fail(node, lost, "late failure", true));
    assertLeaseLost(id, state, () -> node.workers().addAsset(
        AddAssetRequest.newBuilder().setJobId(id).setLeaseToken(lost.getLeaseToken())
            .setAssetType("log").setUri("s3://bucket/late.log").build()));
  }
}

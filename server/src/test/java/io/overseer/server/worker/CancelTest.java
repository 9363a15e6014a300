package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertLeaseLost;
import static io.overseer.server.worker.WorkerTesting.awaitState;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.claimOne;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.create;
import static io.overseer.server.worker.WorkerTesting.events;
import static io.overseer.server.worker.WorkerTesting.fail;
import static io.overseer.server.worker.WorkerTesting.get;
import static io.overseer.server.worker.WorkerTesting.heartbeat;
import static io.overseer.server.worker.WorkerTesting.lastEvent;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Cancellation: queued at once, running by acknowledgement, completion instead, forced after the grace. */
@Timeout(60)
class CancelTest {
  private static TestDatabase db;
  private static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db, "--maintenance-interval=100ms", "--cancel-grace=1s");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  private static Job cancel(String id, String reason) {
    return node.jobs().cancelJob(CancelJobRequest.newBuilder().setId(id).setReason(reason).build());
  }

  @Test
  void cancellingAQueuedJobIsImmediate() {
    String queue = uniqueQueue("queued");
    Job job = create(node, newJob(queue));
    Job cancelled = cancel(job.getId(), "not needed any more");
    assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
    assertTrue(cancelled.hasFinishTime());
    JobEvent event = lastEvent(node, job.getId());
    assertEquals(JobState.JOB_STATE_CANCELLED, event.getState());
    assertEquals(JobState.JOB_STATE_QUEUED, event.getPreviousState());
    assertEquals("not needed any more", event.getMessage());
    assertEquals("anonymous", event.getActor());
    assertTrue(claim(node, "w1", 1, null, null, queue).isEmpty(), "a cancelled job is never claimed");
  }

  @Test
  void aRunningJobIsCancelledWhenTheWorkerAcknowledges() {
    String queue = uniqueQueue("ack");
    Job job = create(node, newJob(queue).setMaxAttempts(3));
    Lease lease = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);

    Job requested = cancel(job.getId(), "user pressed stop");
    assertEquals(JobState.JOB_STATE_RUNNING, requested.getState());
    assertTrue(requested.getCancelRequested());
    JobEvent event = lastEvent(node, job.getId());
    assertEquals(JobEventKind.JOB_EVENT_KIND_CANCEL_REQUESTED, event.getKind());
    assertEquals(JobState.JOB_STATE_RUNNING, event.getState());
    assertEquals("user pressed stop", event.getMessage());
    assertTrue(heartbeat(node, lease).getCancelRequested(), "the heartbeat tells the worker");

    Job acknowledged = fail(node, lease, "stopped", true); // retryable, attempts left: still not retried
    assertEquals(JobState.JOB_STATE_CANCELLED, acknowledged.getState());
    assertEquals(1, acknowledged.getAttempt());
    JobEvent last = lastEvent(node, job.getId());
    assertEquals(JobState.JOB_STATE_CANCELLED, last.getState());
    assertEquals(JobState.JOB_STATE_RUNNING, last.getPreviousState());
    assertEquals("w1", last.getWorkerId());
    assertTrue(claim(node, "w2", 1, Duration.ofMillis(1_200), null, queue).isEmpty(), "never retried");
    assertEquals(JobState.JOB_STATE_CANCELLED, get(node, job.getId()).getState());
    assertEquals(JobState.JOB_STATE_CANCELLED, fail(node, lease, "stopped", true).getState(), "the acknowledgement may be repeated");
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> heartbeat(node, lease));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> complete(node, lease));
  }

  @Test
  void aNonRetryableAcknowledgementCancelsToo() {
    String queue = uniqueQueue("ack-fatal");
    Job job = create(node, newJob(queue));
    Lease lease = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);
    cancel(job.getId(), "");
    assertEquals(JobState.JOB_STATE_CANCELLED, fail(node, lease, "", false).getState());
  }

  @Test
  void completingInsteadOfAcknowledgingCompletes() {
    String queue = uniqueQueue("done-anyway");
    Job job = create(node, newJob(queue));
    Lease lease = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);
    assertTrue(cancel(job.getId(), "too late").getCancelRequested());
    Job done = complete(node, lease);
    assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
    assertEquals(100, done.getProgress());

    Job partialJob = create(node, newJob(queue));
    Lease partialLease = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);
    cancel(partialJob.getId(), "too late");
    Job partial = node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(partialJob.getId())
        .setLeaseToken(partialLease.getLeaseToken()).setPartial(true).setErrorMessage("half the frames").build());
    assertEquals(JobState.JOB_STATE_PARTIAL, partial.getState());
    assertEquals("half the frames", partial.getErrorMessage());
  }

  @Test
  void anUnansweredCancelIsForcedAfterTheGracePeriod() {
    String queue = uniqueQueue("forced");
    Job job = create(node, newJob(queue).setMaxAttempts(3));
    Lease lease = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);
    cancel(job.getId(), "shutting down");
    long requested = System.nanoTime();
    assertTrue(heartbeat(node, lease).getCancelRequested(), "heartbeats still work during the grace period");

    Job cancelled = awaitState(node, job.getId(), JobState.JOB_STATE_CANCELLED, Duration.ofSeconds(4));
    long afterMs = (System.nanoTime() - requested) / 1_000_000;
    assertTrue(afterMs >= 900, "forced before the 1 s grace ran out: " + afterMs + " ms");
    assertTrue(cancelled.hasFinishTime());
    assertEquals(1, cancelled.getAttempt());
    JobEvent last = lastEvent(node, job.getId());
    assertEquals(JobEventKind.JOB_EVENT_KIND_STATE_CHANGED, last.getKind());
    assertEquals(JobState.JOB_STATE_RUNNING, last.getPreviousState());
    assertEquals("system", last.getActor());
    assertFalse(last.getMessage().isEmpty());

    // the lease is dead, for every call, repeated completions included
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> heartbeat(node, lease));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> complete(node, lease));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> fail(node, lease, "stopped late", true));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_CANCELLED, () -> node.workers().addAsset(
        AddAssetRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken())
            .setAssetType("log").setUri("file:///tmp/x.log").build()));
    List<JobEvent> events = events(node, job.getId());
    assertEquals(4, events.size(), "created, claimed, cancel requested, cancelled: " + events);
    assertTrue(claim(node, "w2", 1, null, null, queue).isEmpty(), "never retried");
  }
}

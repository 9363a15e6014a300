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
import static io.overseer.server.worker.WorkerTesting.heartbeat;
import static io.overseer.server.worker.WorkerTesting.instant;
import static io.overseer.server.worker.WorkerTesting.lastEvent;
import static io.overseer.server.worker.WorkerTesting.millisBetween;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.proto;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Retries: backoff, retry_after, exhausted attempts, non-retryable failures, per-attempt timeouts. */
@Timeout(60)
class RetryTest {
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
  void retryableFailureRequeuesAfterBackoffAndHonoursRetryAfter() {
    String queue = uniqueQueue("retry");
    Job job = create(node, newJob(queue).setMaxAttempts(3));
    Lease first = claimOne(node, "w1", null, null, queue);

    Job requeued = fail(node, first, "flaky network", true);
    assertEquals(JobState.JOB_STATE_QUEUED, requeued.getState());
    assertEquals(1, requeued.getAttempt());
    assertEquals("flaky network", requeued.getErrorMessage());
    long backoffMs = millisBetween(requeued.getUpdateTime(), requeued.getRunAt());
    assertTrue(backoffMs >= 500 && backoffMs <= 1_100, "attempt 1 backs off 0.5..1 s, got " + backoffMs + " ms");
    JobEvent failed = lastEvent(node, job.getId());
    assertEquals(JobState.JOB_STATE_QUEUED, failed.getState());
    assertEquals(JobState.JOB_STATE_RUNNING, failed.getPreviousState());
    assertEquals("flaky network", failed.getMessage());
    assertEquals("w1", failed.getWorkerId());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_QUEUED, () -> heartbeat(node, first));

    // not claimable before run_at; a long poll gets it once run_at has passed
    assertTrue(claim(node, "w2", 1, null, null, queue).isEmpty(), "claimable during its backoff");
    Lease second = claimOne(node, "w2", Duration.ofSeconds(5), null, queue);
    assertEquals(2, second.getJob().getAttempt());
    assertFalse(instant(second.getJob().getUpdateTime()).isBefore(instant(requeued.getRunAt())), "claimed before run_at");
    assertEquals("", second.getJob().getErrorMessage(), "a new attempt starts clean");

    // retry_after larger than the backoff (1..2 s for attempt 2) wins
    Job later = node.workers().failJob(failRequest(second, "rate limited", true).setRetryAfter(proto(Duration.ofSeconds(5))).build());
    assertEquals(JobState.JOB_STATE_QUEUED, later.getState());
    long retryAfterMs = millisBetween(later.getUpdateTime(), later.getRunAt());
    assertTrue(retryAfterMs >= 5_000 && retryAfterMs < 5_200, "retry_after 5 s honoured, got " + retryAfterMs + " ms");

    // retry_after smaller than the backoff does not shorten it
    Job short1 = create(node, newJob(queue).setMaxAttempts(3));
    Lease shortLease = claimOne(node, "w3", null, null, queue);
    assertEquals(short1.getId(), shortLease.getJob().getId());
    Job backedOff = node.workers().failJob(failRequest(shortLease, "x", true).setRetryAfter(proto(Duration.ofMillis(10))).build());
    assertTrue(millisBetween(backedOff.getUpdateTime(), backedOff.getRunAt()) >= 500, "backoff applies when larger than retry_after");
  }

  @Test
  void exhaustedAttemptsFailKeepingTheLastError() {
    String queue = uniqueQueue("exhaust");
    Job job = create(node, newJob(queue).setMaxAttempts(2));
    Lease first = claimOne(node, "w1", null, null, queue);
    assertEquals(JobState.JOB_STATE_QUEUED, fail(node, first, "first error", true).getState());
    Lease second = claimOne(node, "w1", Duration.ofSeconds(5), null, queue);
    assertEquals(2, second.getJob().getAttempt());

    Job failed = fail(node, second, "second error", true);
    assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
    assertEquals("second error", failed.getErrorMessage());
    assertEquals(2, failed.getAttempt());
    assertTrue(failed.hasFinishTime());
    JobEvent last = lastEvent(node, job.getId());
    assertEquals(JobState.JOB_STATE_FAILED, last.getState());
    assertEquals("second error", last.getMessage());
    assertTrue(claim(node, "w1", 1, Duration.ofMillis(1_500), null, queue).isEmpty(), "a FAILED job is never claimed again");
    assertLeaseLost(job.getId(), JobState.JOB_STATE_FAILED, () -> complete(node, second));
  }

  @Test
  void nonRetryableFailureFailsAtOnce() {
    String queue = uniqueQueue("fatal");
    Job job = create(node, newJob(queue).setMaxAttempts(5));
    Lease lease = claimOne(node, "w1", null, null, queue);
    Job failed = fail(node, lease, "invalid params", false);
    assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
    assertEquals(1, failed.getAttempt());
    assertEquals("invalid params", failed.getErrorMessage());
    assertEquals(3, events(node, job.getId()).size());
    assertTrue(claim(node, "w1", 1, null, null, queue).isEmpty());
  }

  @Test
  void timedOutAttemptIsRetriedThenFailed() {
    String queue = uniqueQueue("timeout");
    Job job = create(node, newJob(queue).setMaxAttempts(2).setTimeout(proto(Duration.ofSeconds(1))));
    Lease first = claimOne(node, "w1", null, Duration.ofSeconds(30), queue);
    long claimed = System.nanoTime();

    Job requeued = awaitState(node, job.getId(), JobState.JOB_STATE_QUEUED, Duration.ofSeconds(4));
    assertTrue(System.nanoTime() - claimed >= Duration.ofMillis(900).toNanos(), "timed out before its timeout");
    assertEquals("timed out", requeued.getErrorMessage());
    assertTrue(millisBetween(requeued.getUpdateTime(), requeued.getRunAt()) >= 500, "a timed-out attempt backs off");
    JobEvent timedOut = lastEvent(node, job.getId());
    assertEquals("timed out", timedOut.getMessage());
    assertEquals("system", timedOut.getActor());
    assertEquals(JobState.JOB_STATE_RUNNING, timedOut.getPreviousState());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_QUEUED, () -> heartbeat(node, first));

    Lease second = claimOne(node, "w2", Duration.ofSeconds(5), Duration.ofSeconds(30), queue);
    assertEquals(2, second.getJob().getAttempt());
    heartbeat(node, second); // a live lease does not stop the timeout
    Job failed = awaitState(node, job.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(4));
    assertEquals("timed out", failed.getErrorMessage());
    assertEquals(2, failed.getAttempt());
    assertEquals("timed out", lastEvent(node, job.getId()).getMessage());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_FAILED, () -> complete(node, second));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_FAILED, () -> heartbeat(node, second));
  }
}

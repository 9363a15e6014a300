package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertLeaseLost;
import static io.overseer.server.worker.WorkerTesting.awaitState;
import static io.overseer.server.worker.WorkerTesting.claimOne;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.create;
import static io.overseer.server.worker.WorkerTesting.errorInfo;
import static io.overseer.server.worker.WorkerTesting.events;
import static io.overseer.server.worker.WorkerTesting.fail;
import static io.overseer.server.worker.WorkerTesting.get;
import static io.overseer.server.worker.WorkerTesting.heartbeat;
import static io.overseer.server.worker.WorkerTesting.lastEvent;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.proto;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.ReportServingRequest;
import io.overseer.v1.StopJobRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SPEC "Service jobs": every row of its table, on one node and on two. */
@Timeout(90)
class ServiceJobTest {
  private static final Endpoint HTTP = Endpoint.newBuilder().setName("http").setUri("http://10.0.0.7:8888/").build();
  private static TestDatabase db;
  private static TestServer a;
  private static TestServer b;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    String[] flags = {"--maintenance-interval=100ms", "--cancel-grace=1s", "--stop-grace=1s"};
    a = TestServer.inProcess(db, flags);
    b = TestServer.inProcess(db, flags);
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
    db.close();
  }

  static Job serve(TestServer node, Lease lease, Endpoint... endpoints) {
    return node.workers().reportServing(ReportServingRequest.newBuilder()
        .setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).addAllEndpoints(List.of(endpoints))
        .setMessage("up").build());
  }

  static Job stopJob(TestServer node, String id) {
    return node.jobs().stopJob(StopJobRequest.newBuilder().setId(id).setReason("done with it").build());
  }

  @Test
  void aServiceServesUntilStoppedThenItsWorkerCompletesIt() {
    String queue = uniqueQueue("svc");
    Job job = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);

    Job serving = serve(a, lease, HTTP);
    assertEquals(JobState.JOB_STATE_SERVING, serving.getState());
    assertEquals(List.of(HTTP), serving.getEndpointsList());
    assertTrue(serving.hasLeaseExpireTime(), "a serving job is leased");
    JobEvent served = lastEvent(a, job.getId());
    assertEquals(JobState.JOB_STATE_RUNNING, served.getPreviousState());
    assertTrue(served.getMessage().contains("http://10.0.0.7:8888/"), served.getMessage());
    assertEquals(serving, serve(b, lease, HTTP), "the same report repeated, on any node, gets the job");
    assertEquals(Status.Code.FAILED_PRECONDITION,
        assertThrows(StatusRuntimeException.class, () -> serve(a, lease, HTTP.toBuilder().setUri("http://other/").build()))
            .getStatus().getCode(), "serving elsewhere is a new report, not a repeat");
    assertFalse(heartbeat(b, lease).getStopRequested());

    Job stopping = stopJob(b, job.getId());
    assertEquals(JobState.JOB_STATE_STOPPING, stopping.getState());
    assertTrue(stopping.getStopRequested());
    assertEquals("done with it", lastEvent(a, job.getId()).getMessage());
    assertTrue(heartbeat(a, lease).getStopRequested(), "heartbeats tell the worker to stop");
    assertEquals(stopping.getState(), stopJob(a, job.getId()).getState(), "stopping twice changes nothing");

    Job done = complete(a, lease);
    assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
    assertEquals(List.of(HTTP), done.getEndpointsList(), "the endpoints stay on record");
    List<JobState> path = events(a, job.getId()).stream()
        .filter(e -> e.getKind() == io.overseer.v1.JobEventKind.JOB_EVENT_KIND_STATE_CHANGED).map(JobEvent::getState).toList();
    assertEquals(List.of(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SERVING,
        JobState.JOB_STATE_STOPPING, JobState.JOB_STATE_COMPLETED), path);
    assertEquals(Status.Code.FAILED_PRECONDITION,
        assertThrows(StatusRuntimeException.class, () -> stopJob(a, job.getId())).getStatus().getCode());
  }

  @Test
  void aServiceThatExitsOnItsOwnEndsWithoutBeingAsked() {
    String queue = uniqueQueue("svc-exit");
    create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);
    serve(a, lease, HTTP);
    assertEquals(JobState.JOB_STATE_FAILED, fail(a, lease, "the server crashed", false).getState());

    create(a, newJob(queue));
    Lease other = claimOne(a, "w1", null, null, queue);
    serve(a, other, HTTP);
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(a, other).getState());
  }

  @Test
  void aStopNobodyAcknowledgesFailsTheJobAfterTheGrace() {
    String queue = uniqueQueue("svc-grace");
    Job job = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, Duration.ofMinutes(5), queue);
    serve(a, lease, HTTP);
    stopJob(a, job.getId());
    Job failed = awaitState(b, job.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(10));
    assertEquals("stop grace period expired", failed.getErrorMessage());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_FAILED, () -> complete(a, lease));
  }

  @Test
  void cancellingAServingJobEndsItCancelledByAcknowledgementOrGrace() {
    String queue = uniqueQueue("svc-cancel");
    Job acked = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);
    serve(a, lease, HTTP);
    Job flagged = a.jobs().cancelJob(CancelJobRequest.newBuilder().setId(acked.getId()).build());
    assertEquals(JobState.JOB_STATE_SERVING, flagged.getState());
    assertTrue(heartbeat(a, lease).getCancelRequested());
    assertEquals(JobState.JOB_STATE_CANCELLED, fail(b, lease, "", true).getState(), "acknowledged: never retried");

    Job ignored = create(a, newJob(queue));
    Lease other = claimOne(a, "w1", null, Duration.ofMinutes(5), queue);
    serve(a, other, HTTP);
    a.jobs().cancelJob(CancelJobRequest.newBuilder().setId(ignored.getId()).build());
    assertEquals("cancel grace period expired",
        awaitState(b, ignored.getId(), JobState.JOB_STATE_CANCELLED, Duration.ofSeconds(10)).getErrorMessage());
  }

  @Test
  void aServiceWhoseWorkerDiesComesBackElsewhereWhileAttemptsAreLeft() {
    String queue = uniqueQueue("svc-orphan");
    Job job = create(a, newJob(queue).setMaxAttempts(2));
    Lease first = claimOne(a, "w-dies", null, Duration.ofSeconds(1), queue);
    serve(a, first, HTTP);
    // the worker dies; another worker on the other node gets the service back at once
    Lease second = claimOne(b, "w-b", Duration.ofSeconds(10), Duration.ofSeconds(1), queue);
    assertEquals(job.getId(), second.getJob().getId());
    assertEquals(2, second.getJob().getAttempt());
    List<JobEvent> log = events(a, job.getId());
    JobEvent requeued = log.get(log.size() - 2); // before the new claim
    assertEquals(JobState.JOB_STATE_SERVING, requeued.getPreviousState());
    assertEquals(JobState.JOB_STATE_QUEUED, requeued.getState());
    assertEquals("lease expired", requeued.getMessage());
    assertLeaseLost(job.getId(), JobState.JOB_STATE_RUNNING, () -> serve(a, first, HTTP));
    serve(b, second, HTTP);
    // and dies too: no attempts left
    Job failed = awaitState(a, job.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(10));
    assertEquals("lease expired", failed.getErrorMessage());
  }

  @Test
  void aStoppingServiceWhoseWorkerDiesFailsAndIsNeverReQueued() {
    String queue = uniqueQueue("svc-stopping-orphan");
    Job job = create(a, newJob(queue).setMaxAttempts(3));
    Lease lease = claimOne(a, "w1", null, Duration.ofSeconds(1), queue);
    serve(a, lease, HTTP);
    stopJob(a, job.getId());
    Job failed = awaitState(b, job.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(10));
    assertEquals(1, failed.getAttempt(), "not re-queued");
  }

  @Test
  void aTimeoutBoundsTheTimeUntilServingNotTheTimeServed() {
    String queue = uniqueQueue("svc-timeout");
    Job slow = create(a, newJob(queue).setMaxAttempts(1).setTimeout(proto(Duration.ofSeconds(1))));
    claimOne(a, "w1", null, Duration.ofMinutes(5), queue);
    assertEquals("timed out", awaitState(a, slow.getId(), JobState.JOB_STATE_FAILED, Duration.ofSeconds(10)).getErrorMessage());

    Job fast = create(a, newJob(queue).setMaxAttempts(1).setTimeout(proto(Duration.ofSeconds(1))));
    Lease lease = claimOne(a, "w1", null, Duration.ofMinutes(5), queue);
    serve(a, lease, HTTP);
    // serve for more than twice the timeout, heartbeating: it keeps serving
    Poll.holdsFor(Duration.ofMillis(2_500), Duration.ofMillis(100), "a service past its timeout goes on serving", () -> {
      heartbeat(a, lease);
      return get(a, fast.getId()).getState() == JobState.JOB_STATE_SERVING;
    });
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(a, lease).getState());
  }

  @Test
  void stopOfAJobThatNeverServedCancelsIt() {
    String queue = uniqueQueue("svc-stop-early");
    Job queued = create(a, newJob(queue));
    assertEquals(JobState.JOB_STATE_CANCELLED, stopJob(a, queued.getId()).getState());

    Job running = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);
    Job flagged = stopJob(b, running.getId());
    assertEquals(JobState.JOB_STATE_RUNNING, flagged.getState());
    assertTrue(flagged.getCancelRequested(), "as CancelJob");
    assertEquals(JobState.JOB_STATE_CANCELLED, fail(a, lease, "", false).getState());
  }

  @Test
  void badReportsAreRefusedAndChangeNothing() {
    String queue = uniqueQueue("svc-bad");
    Job job = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);
    assertInvalid("endpoints", () -> serve(a, lease));
    assertInvalid("endpoints[0].uri", () -> serve(a, lease, Endpoint.newBuilder().setName("http").setUri("not a uri").build()));
    assertInvalid("endpoints[0].uri", () -> serve(a, lease, Endpoint.newBuilder().setName("http").setUri("/relative").build()));
    assertInvalid("endpoints[0].name", () -> serve(a, lease, Endpoint.newBuilder().setUri("http://h/").build()));
    Endpoint[] many = new Endpoint[17];
    java.util.Arrays.fill(many, HTTP);
    assertInvalid("endpoints", () -> serve(a, lease, many));
    assertLeaseLost(job.getId(), JobState.JOB_STATE_RUNNING, () -> serve(a, lease.toBuilder().setLeaseToken("1.stale").build(), HTTP));
    assertEquals(JobState.JOB_STATE_RUNNING, get(a, job.getId()).getState());
    assertEquals(2, events(a, job.getId()).size(), "created and claimed, nothing else");
  }

  @Test
  void onlyTheSameFinishingCallRepeatedGetsTheFinishedJob() {
    String queue = uniqueQueue("repeat");
    Job job = create(a, newJob(queue));
    Lease lease = claimOne(a, "w1", null, null, queue);
    CompleteJobRequest first = CompleteJobRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken())
        .setResult(Struct.newBuilder().putFields("answer", Value.newBuilder().setNumberValue(42).build())).build();
    Job done = a.workers().completeJob(first);
    assertEquals(done, b.workers().completeJob(first), "the same call repeated");
    CompleteJobRequest other = first.toBuilder()
        .setResult(Struct.newBuilder().putFields("answer", Value.newBuilder().setNumberValue(43).build())).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> a.workers().completeJob(other));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals("LEASE_LOST", errorInfo(e).getReason());
    assertTrue(e.getStatus().getDescription().contains("different result"), e.getStatus().getDescription());
    assertThrows(StatusRuntimeException.class, () -> a.workers().completeJob(first.toBuilder().setPartial(true).build()));
    assertThrows(StatusRuntimeException.class, () -> a.workers().completeJob(first.toBuilder().setErrorMessage("x").build()));
    assertEquals(done.getResult(), get(a, job.getId()).getResult(), "the first result stands");

    Job failing = create(a, newJob(queue).setMaxAttempts(1));
    Lease l2 = claimOne(a, "w1", null, null, queue);
    Job failed = fail(a, l2, "boom", false);
    assertEquals(failed, fail(b, l2, "boom", false));
    assertTrue(errorInfo(assertThrows(StatusRuntimeException.class, () -> fail(a, l2, "bang", false))).getReason().equals("LEASE_LOST"));
    assertTrue(assertThrows(StatusRuntimeException.class, () -> fail(a, l2, "boom", true)).getStatus().getDescription()
        .contains("retryable"));
    assertEquals("boom", get(a, failing.getId()).getErrorMessage());
  }

  private static void assertInvalid(String field, org.junit.jupiter.api.function.Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains(field) || e.toString().contains(field), e.toString());
  }
}

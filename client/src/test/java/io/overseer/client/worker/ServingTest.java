package io.overseer.client.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.client.Structs;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The runtime's side of service jobs ({@link JobContext#serving}, {@link JobContext#awaitStop}) on a real server. */
@Timeout(120)
class ServingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Endpoint HTTP =
      Endpoint.newBuilder().setName("http").setUri("http://127.0.0.1:8888/").build();

  record Finished(JobContext ctx, JobOutcome outcome, Job job, Throwable error) {}

  static TestDatabase db;
  static TestServer node;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
  private final BlockingQueue<Object> seen = new LinkedBlockingQueue<>(); // what handlers saw
  private final HeartbeatCut cut = new HeartbeatCut();
  private OverseerClient client;

  @BeforeAll
  static void startServer() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db, "--maintenance-interval=100ms", "--cancel-grace=10s",
        "--stop-grace=10s");
  }

  @AfterAll
  static void stopServer() {
    node.close();
    db.close();
  }

  @BeforeEach
  void connect() {
    // the workers' heartbeats go through `cut`, which can drop them like a broken network
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(node.target()).usePlaintext().intercept(cut).build();
    closing.add(channel::shutdownNow);
    client = OverseerClient.builder().channel(channel).build();
  }

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private Worker startWorker(String queue, Duration lease, Map<String, JobHandler> handlers) {
    return startWorker(queue, lease, Duration.ofMillis(100), handlers);
  }

  private Worker startWorker(
      String queue, Duration lease, Duration heartbeat, Map<String, JobHandler> handlers) {
    WorkerBuilder builder = Worker.builder()
        .client(client)
        .queues(queue)
        .concurrency(1)
        .leaseDuration(lease)
        .heartbeatInterval(heartbeat)
        .claimWait(Duration.ofMillis(500))
        .listener(new WorkerListener() {
          @Override
          public void jobFinished(JobContext ctx, JobOutcome outcome, Job job, Throwable error) {
            finished.add(new Finished(ctx, outcome, job, error));
          }
        });
    handlers.forEach(builder::handler);
    Worker worker = builder.build().start();
    closing.add(() -> worker.shutdown(Duration.ofSeconds(5)));
    return worker;
  }

  private Job create(String type, String queue, int maxAttempts, Duration timeout) {
    CreateJobRequest.Builder request =
        CreateJobRequest.newBuilder().setType(type).setQueue(queue).setMaxAttempts(maxAttempts);
    if (timeout != null) {
      request.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(timeout.getSeconds()));
    }
    return client.create(request.build());
  }

  private Job awaitState(String id, JobState state) {
    return Poll.value(WAIT, "job " + id + " " + state, () -> client.get(id), j -> j.getState() == state);
  }

  private Finished nextFinished() throws InterruptedException {
    Finished f = finished.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(f, "no job finished in time");
    return f;
  }

  private Object nextSeen() throws InterruptedException {
    Object o = seen.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(o, "the handler saw nothing in time");
    return o;
  }

  /** Serves until awaitStop ends; records the job ReportServing returned and how awaitStop ended. */
  private JobHandler service() {
    return ctx -> {
      seen.add(ctx.serving(List.of(HTTP), "up"));
      try {
        ctx.awaitStop();
        seen.add("stop requested: " + ctx.isStopRequested());
      } catch (JobCancelledException e) {
        seen.add(e);
        throw e;
      }
      return JobResult.of(Map.of("stopped", true));
    };
  }

  @Test
  void aStoppedServiceCompletesAndUntilThenServesPastItsTimeoutInOneSlot() throws Exception {
    Worker worker = startWorker("svc-stop", Duration.ofSeconds(3),
        Map.of("svc", service(), "plain", ctx -> JobResult.of(Map.of("ran", true))));
    Job job = create("svc", "svc-stop", 3, Duration.ofSeconds(1));

    Job serving = (Job) nextSeen();
    assertEquals(JobState.JOB_STATE_SERVING, serving.getState());
    assertEquals(List.of(HTTP), client.get(job.getId()).getEndpointsList());
    assertEquals(1, worker.activeJobs());

    Job plain = create("plain", "svc-stop", 3, null);
    Poll.holdsFor(Duration.ofSeconds(2), "the service serves past its 1 s timeout, holding the"
        + " worker's only slot", () -> client.get(job.getId()).getState() == JobState.JOB_STATE_SERVING
            && client.get(plain.getId()).getState() == JobState.JOB_STATE_QUEUED);

    Job stopping = client.stop(job.getId(), "enough");
    assertEquals(JobState.JOB_STATE_STOPPING, stopping.getState());
    assertEquals("stop requested: true", nextSeen());
    Finished f = nextFinished();
    assertEquals(JobOutcome.COMPLETED, f.outcome());
    Job done = client.get(job.getId());
    assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
    assertEquals(Map.of("stopped", true), Structs.toMap(done.getResult()));
    assertTrue(done.getStopRequested());
    assertEquals(List.of(HTTP), done.getEndpointsList(), "the endpoints stay on record");
    List<JobState> path = client.events(job.getId()).stream()
        .filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED)
        .map(JobEvent::getState).toList();
    assertEquals(List.of(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_SERVING, JobState.JOB_STATE_STOPPING, JobState.JOB_STATE_COMPLETED), path);

    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome(), "the slot is free: the other job ran");
    assertEquals(JobState.JOB_STATE_COMPLETED, client.get(plain.getId()).getState());
  }

  @Test
  void aStopReachesAServiceWithinAboutASecondWhateverItsHeartbeatInterval() throws Exception {
    startWorker("svc-soon", Duration.ofMinutes(3), Duration.ofMinutes(1), Map.of("svc", service()));
    Job job = create("svc", "svc-soon", 3, null);
    assertInstanceOf(Job.class, nextSeen());
    client.stop(job.getId(), "");
    // a heartbeat a minute would take up to a minute; a serving job's go at least every second
    assertEquals("stop requested: true", seen.poll(10, TimeUnit.SECONDS));
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
  }

  @Test
  void cancellingAServiceEndsAwaitStopAndTheJobCancelled() throws Exception {
    startWorker("svc-cancel", Duration.ofSeconds(3), Map.of("svc", service()));
    Job job = create("svc", "svc-cancel", 3, null);
    assertInstanceOf(Job.class, nextSeen());

    client.cancel(job.getId(), "not needed");
    JobCancelledException e = assertInstanceOf(JobCancelledException.class, nextSeen());
    assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
    assertEquals(JobOutcome.CANCELLED, nextFinished().outcome());
    Job cancelled = client.get(job.getId());
    assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
    assertEquals(1, cancelled.getAttempt(), "a cancelled service is not served again");
  }

  @Test
  void aServiceThatLostItsLeaseIsToldByAwaitStopAndNeverReported() throws Exception {
    startWorker("svc-lost", Duration.ofSeconds(1), Map.of("svc", service()));
    Job job = create("svc", "svc-lost", 1, null);
    assertInstanceOf(Job.class, nextSeen());

    cut.heartbeats = true; // the server hears nothing: the lease expires, no attempts are left
    Job failed = awaitState(job.getId(), JobState.JOB_STATE_FAILED);
    assertTrue(seen.isEmpty(), "awaitStop still waits while the worker cannot tell: " + seen);
    cut.heartbeats = false; // the next heartbeat is refused LEASE_LOST

    JobCancelledException e = assertInstanceOf(JobCancelledException.class, nextSeen());
    assertTrue(e.getMessage().contains("lease lost"), e.getMessage());
    Finished f = nextFinished();
    assertEquals(JobOutcome.LEASE_LOST, f.outcome());
    assertTrue(f.ctx().isCancelled());
    assertEquals(failed, client.get(job.getId()), "the worker reported nothing");
  }

  @Test
  void aWorkerShuttingDownHandsItsServiceBackAtOnceToBeServedElsewhere() throws Exception {
    Worker first = startWorker("svc-handback", Duration.ofSeconds(3), Map.of("svc", service()));
    Job job = create("svc", "svc-handback", 3, null);
    assertInstanceOf(Job.class, nextSeen());

    long start = System.nanoTime();
    assertTrue(first.shutdown(Duration.ofMinutes(5)), "every job ended within the shutdown timeout");
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(tookMillis < 30_000, "the service was handed back at once, not after the timeout: "
        + tookMillis + " ms");
    JobCancelledException e = assertInstanceOf(JobCancelledException.class, nextSeen());
    assertTrue(e.getMessage().contains("shutting down"), e.getMessage());
    assertEquals(JobOutcome.RETRYING, nextFinished().outcome());
    Job requeued = client.get(job.getId());
    assertTrue(requeued.getErrorMessage().contains("shut down"), requeued.getErrorMessage());

    startWorker("svc-handback", Duration.ofSeconds(3), Map.of("svc", service()));
    Job again = (Job) nextSeen();
    assertEquals(2, again.getAttempt(), "served again, by the next worker");
    client.stop(job.getId(), "");
    assertEquals("stop requested: true", nextSeen());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
  }

  @Test
  void misuseIsAnErrorTheHandlerSees() throws Exception {
    startWorker("svc-misuse", Duration.ofSeconds(3), Map.of("svc", ctx -> {
      try {
        ctx.awaitStop();
      } catch (IllegalStateException e) {
        seen.add(e);
      }
      try {
        ctx.serving(List.of(), "nowhere");
      } catch (OverseerException e) {
        seen.add(e);
      }
      throw new NonRetryableException("misused");
    }));
    Job job = create("svc", "svc-misuse", 3, null);
    IllegalStateException early = assertInstanceOf(IllegalStateException.class, nextSeen());
    assertTrue(early.getMessage().contains("before serving()"), early.getMessage());
    OverseerException invalid = assertInstanceOf(OverseerException.class, nextSeen());
    assertEquals(Status.Code.INVALID_ARGUMENT, invalid.code());
    assertEquals(JobOutcome.FAILED, nextFinished().outcome());
    assertEquals("misused", client.get(job.getId()).getErrorMessage());
  }

  /** Drops every Heartbeat call (UNAVAILABLE, nothing sent) while {@link #heartbeats} is set. */
  static final class HeartbeatCut implements ClientInterceptor {
    volatile boolean heartbeats;

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      if (!heartbeats || !method.equals(WorkerServiceGrpc.getHeartbeatMethod())) {
        return next.newCall(method, options);
      }
      return new ClientCall<>() {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          listener.onClose(Status.UNAVAILABLE.withDescription("heartbeats cut off by the test"),
              new Metadata());
        }

        @Override
        public void request(int numMessages) {}

        @Override
        public void cancel(String message, Throwable cause) {}

        @Override
        public void halfClose() {}

        @Override
        public void sendMessage(Q message) {}
      };
    }
  }
}

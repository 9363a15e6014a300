package io.overseer.client;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.overseer.v1.Asset;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.ListJobAssetsRequest;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import io.overseer.v1.LogLine;
import io.overseer.v1.WatchJobLogsRequest;
import io.overseer.v1.StopJobRequest;
import io.overseer.v1.WatchJobRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A typed client for Overseer's JobService (and the WorkerService stubs the {@link
 * io.overseer.client.worker.Worker} runtime uses).
 *
 * <pre>{@code
 * try (OverseerClient client = OverseerClient.builder().target("localhost:50051").build()) {
 *   Job job = client.create("resize", Map.of("width", 640));
 *   JobEvent last = client.watch(job.getId(), 0, e -> System.out.println(e.getProgress()));
 * }
 * }</pre>
 *
 * <p>Thread-safe; share one instance. Every method throws {@link OverseerException} on failure.
 * Unary calls get the builder's default deadline unless a stub sets its own.
 */
public final class OverseerClient implements AutoCloseable {
  private static final int MAX_PAGE_SIZE = 1000;

  private final ManagedChannel ownedChannel; // null when wrapping a caller's channel
  private final Channel channel;
  private final String target;
  private final Duration deadline;
  private final Duration watchReconnectTimeout;
  private final JobServiceGrpc.JobServiceBlockingStub jobs;
  private final WorkerServiceGrpc.WorkerServiceBlockingStub workers;
  private final WorkerServiceGrpc.WorkerServiceStub workersAsync;

  OverseerClient(
      ManagedChannel ownedChannel,
      Channel rawChannel,
      String target,
      String token,
      Duration deadline,
      Duration watchReconnectTimeout) {
    this.ownedChannel = ownedChannel;
    this.channel = ClientInterceptors.intercept(rawChannel, new CallDefaults(token, deadline));
    this.target = target;
    this.deadline = deadline;
    this.watchReconnectTimeout = watchReconnectTimeout;
    this.jobs = JobServiceGrpc.newBlockingStub(channel);
    this.workers = WorkerServiceGrpc.newBlockingStub(channel);
    this.workersAsync = WorkerServiceGrpc.newStub(channel);
  }

  /** Starts configuring a client; see {@link OverseerClientBuilder}. */
  public static OverseerClientBuilder builder() {
    return new OverseerClientBuilder();
  }

  /** Creates a job. With an idempotency key, the same owner and key return the existing job. */
  public Job create(CreateJobRequest request) {
    return call(() -> jobs.createJob(request));
  }

  /** Creates a job of {@code type} on the default queue with the given params. */
  public Job create(String type, Map<String, ?> params) {
    return create(
        CreateJobRequest.newBuilder().setType(type).setParams(Structs.toStruct(params)).build());
  }

  /** Creates up to 1,000 jobs, all or nothing; the jobs come back in the order of the requests. */
  public List<Job> batchCreate(List<CreateJobRequest> requests) {
    BatchCreateJobsRequest request =
        BatchCreateJobsRequest.newBuilder().addAllRequests(requests).build();
    return call(() -> jobs.batchCreateJobs(request)).getJobsList();
  }

  public Job get(String id) {
    return call(() -> jobs.getJob(GetJobRequest.newBuilder().setId(id).build()));
  }

  /** One page of jobs, newest first. */
  public ListJobsResponse listPage(ListJobsRequest request) {
    return call(() -> jobs.listJobs(request));
  }

  /** Every job matching the request (all pages from its page token on), newest first. */
  public List<Job> list(ListJobsRequest request) {
    return list(request, 0);
  }

  /**
   * Matching jobs, newest first, walking pages until {@code limit} jobs (0 or less: all of them).
   */
  public List<Job> list(ListJobsRequest request, int limit) {
    ListJobsRequest.Builder page = request.toBuilder();
    if (limit > 0 && page.getPageSize() == 0) {
      page.setPageSize(Math.min(limit, MAX_PAGE_SIZE));
    }
    List<Job> all = new ArrayList<>();
    while (true) {
      ListJobsResponse response = listPage(page.build());
      for (Job job : response.getJobsList()) {
        if (limit > 0 && all.size() >= limit) {
          return all;
        }
        all.add(job);
      }
      if (response.getNextPageToken().isEmpty() || (limit > 0 && all.size() >= limit)) {
        return all;
      }
      page.setPageToken(response.getNextPageToken());
    }
  }

  /**
   * Cancels a job: a QUEUED job becomes CANCELLED at once; a RUNNING one gets {@code
   * cancel_requested} and becomes CANCELLED when its worker acknowledges (or after a grace
   * period). Cancelling a terminal job is FAILED_PRECONDITION {@code INVALID_TRANSITION}.
   */
  public Job cancel(String id, String reason) {
    CancelJobRequest.Builder request = CancelJobRequest.newBuilder().setId(id);
    if (reason != null) {
      request.setReason(reason);
    }
    return call(() -> jobs.cancelJob(request.build()));
  }

  /**
   * Stops a service job: a SERVING job becomes STOPPING (its worker is told to stop the service
   * and completes the job; the server fails it if that takes longer than its stop grace period);
   * a STOPPING one is returned as it is. A job that never served is cancelled as by {@link
   * #cancel} (a QUEUED one at once). Stopping a terminal job is FAILED_PRECONDITION {@code
   * INVALID_TRANSITION}.
   */
  public Job stop(String id, String reason) {
    StopJobRequest.Builder request = StopJobRequest.newBuilder().setId(id);
    if (reason != null) {
      request.setReason(reason);
    }
    return call(() -> jobs.stopJob(request.build()));
  }

  /** The job's whole event log, oldest first. */
  public List<JobEvent> events(String id) {
    ListJobEventsRequest.Builder page =
        ListJobEventsRequest.newBuilder().setId(id).setPageSize(MAX_PAGE_SIZE);
    List<JobEvent> all = new ArrayList<>();
    while (true) {
      ListJobEventsResponse response = call(() -> jobs.listJobEvents(page.build()));
      all.addAll(response.getEventsList());
      if (response.getNextPageToken().isEmpty()) {
        return all;
      }
      page.setPageToken(response.getNextPageToken());
    }
  }

  public List<Asset> assets(String id) {
    return call(() -> jobs.listJobAssets(ListJobAssetsRequest.newBuilder().setId(id).build()))
        .getAssetsList();
  }

  /**
   * Opens a WatchJob stream: the stored events after {@code afterSequence} (0 = all), then live
   * ones. The iterator ends after the job's terminal event, and blocks in {@code hasNext()} while
   * waiting for the next event. Close it to stop early. It does not reconnect.
   */
  public JobWatch watch(String id, long afterSequence) {
    return new JobWatch(
        jobs,
        WatchJobRequest.newBuilder().setId(id).setAfterSequence(afterSequence).build());
  }

  /**
   * Follows a job until its terminal event, handing each event to {@code consumer} on the
   * calling thread, and returns the last event (the terminal one; {@code null} if there was no
   * event after {@code afterSequence}).
   *
   * <p>When the stream fails with UNAVAILABLE (a node restarting or shutting down) it reconnects
   * with the last sequence it delivered, so the consumer sees every event exactly once and in
   * order, across nodes. It gives up with the last error after failing to reconnect for the
   * builder's {@code watchReconnectTimeout}. Other errors, and exceptions thrown by the consumer,
   * end the watch at once.
   */
  public JobEvent watch(String id, long afterSequence, Consumer<JobEvent> consumer) {
    return new StreamFollower<JobEvent>("job " + id, after -> watch(id, after), JobEvent::getSequence,
        event -> JobStates.isTerminal(event.getState()), watchReconnectTimeout)
        .follow(afterSequence, consumer);
  }

  /** One page of a job's log lines, oldest first. */
  public ListJobLogsResponse listJobLogsPage(ListJobLogsRequest request) {
    return call(() -> jobs.listJobLogs(request));
  }

  /** Every stored log line of the job after {@code afterSequence} (0: all), oldest first. */
  public List<LogLine> listJobLogs(String id, long afterSequence) {
    ListJobLogsRequest.Builder page =
        ListJobLogsRequest.newBuilder().setId(id).setAfterSequence(afterSequence).setPageSize(MAX_PAGE_SIZE);
    List<LogLine> all = new ArrayList<>();
    while (true) {
      ListJobLogsResponse response = listJobLogsPage(page.build());
      all.addAll(response.getLinesList());
      if (response.getNextPageToken().isEmpty()) {
        return all;
      }
      page.setPageToken(response.getNextPageToken());
    }
  }

  /**
   * Opens a WatchJobLogs stream: the stored lines after {@code afterSequence} (0 = all), then live
   * ones; the iterator ends once the job is terminal and every line was sent. It does not
   * reconnect.
   */
  public JobLogWatch watchJobLogs(String id, long afterSequence) {
    return new JobLogWatch(
        jobs, WatchJobLogsRequest.newBuilder().setId(id).setAfterSequence(afterSequence).build());
  }

  /**
   * Follows a job's log until the job is terminal and every line was delivered, handing each line
   * to {@code consumer} on the calling thread; returns the last sequence delivered ({@code
   * afterSequence} if none). Reconnects after UNAVAILABLE as {@link #watch(String, long,
   * Consumer)} does, so every line is delivered once and in order, across nodes.
   */
  public long watchJobLogs(String id, long afterSequence, Consumer<LogLine> consumer) {
    LogLine last = new StreamFollower<LogLine>("the log of job " + id, after -> watchJobLogs(id, after),
        LogLine::getSequence, line -> false, watchReconnectTimeout)
        .follow(afterSequence, consumer);
    return last == null ? afterSequence : last.getSequence();
  }

  /** The JobService blocking stub over this client's channel (token and deadline applied). */
  public JobServiceGrpc.JobServiceBlockingStub jobStub() {
    return jobs;
  }

  /** The WorkerService blocking stub over this client's channel (token and deadline applied). */
  public WorkerServiceGrpc.WorkerServiceBlockingStub workerStub() {
    return workers;
  }

  /** The WorkerService async stub over this client's channel (token and deadline applied). */
  public WorkerServiceGrpc.WorkerServiceStub workerAsyncStub() {
    return workersAsync;
  }

  /** The channel with this client's token and default deadline applied. */
  public Channel channel() {
    return channel;
  }

  /** The target it was built for, for messages ("localhost:50051"). */
  public String target() {
    return target;
  }

  /** The default deadline of unary calls. */
  public Duration deadline() {
    return deadline;
  }

  /**
   * Shuts down the channel the builder created (waiting up to 5 s for calls in flight); a
   * channel passed to {@link OverseerClientBuilder#channel} is left to its owner.
   */
  @Override
  public void close() {
    if (ownedChannel == null) {
      return;
    }
    ownedChannel.shutdown();
    try {
      if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
        ownedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      ownedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw OverseerException.from(e);
    }
  }
}

package io.overseer.server.api;

import io.grpc.stub.StreamObserver;
import io.overseer.server.core.JobOperations;
import io.overseer.server.core.LogOperations;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.LogLine;
import io.overseer.server.domain.NewJob;
import io.overseer.server.domain.State;
import io.overseer.server.store.JobRepository.ListQuery;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.BatchCreateJobsResponse;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobAssetsRequest;
import io.overseer.v1.ListJobAssetsResponse;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import io.overseer.v1.StopJobRequest;
import io.overseer.v1.WatchJobLogsRequest;
import io.overseer.v1.WatchJobRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** JobService: validate, call {@link JobOperations}, map. Errors are thrown to the interceptor. */
public final class JobServiceImpl implements JobServiceGrpc.AsyncService, io.grpc.BindableService {
  static final int MAX_BATCH = 1000;
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;

  private final JobOperations jobs;
  private final JobWatcher watcher;
  private final LogOperations logs;
  private final LogWatcher logWatcher;
  private final Limits limits;

  public JobServiceImpl(JobOperations jobs, JobWatcher watcher, LogOperations logs, LogWatcher logWatcher, Limits limits) {
    this.jobs = jobs;
    this.watcher = watcher;
    this.logs = logs;
    this.logWatcher = logWatcher;
    this.limits = limits;
  }

  /** Malformed request bytes are INVALID_ARGUMENT, not grpc-java's UNKNOWN (see {@link RequestParsing}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestParsing.rejectingMalformed(JobServiceGrpc.bindService(this));
  }

  @Override
  public void createJob(CreateJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    RequestValidator v = new RequestValidator(limits);
    NewJob job = v.newJob("", request);
    v.check();
    reply(out, ProtoMapper.job(jobs.create(CallerIdentity.current(), job)));
  }

  @Override
  public void batchCreateJobs(BatchCreateJobsRequest request, StreamObserver<BatchCreateJobsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    if (request.getRequestsCount() == 0) {
      v.fail("requests", "at least one request is required");
    }
    if (request.getRequestsCount() > MAX_BATCH) {
      v.fail("requests", "at most " + MAX_BATCH + " requests per batch, got " + request.getRequestsCount());
    }
    v.check();
    List<NewJob> batch = new ArrayList<>(request.getRequestsCount());
    for (int i = 0; i < request.getRequestsCount(); i++) {
      batch.add(v.newJob("requests[" + i + "].", request.getRequests(i)));
    }
    v.check();
    BatchCreateJobsResponse.Builder response = BatchCreateJobsResponse.newBuilder();
    for (Job j : jobs.createBatch(CallerIdentity.current(), batch)) {
      response.addJobs(ProtoMapper.job(j));
    }
    reply(out, response.build());
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    reply(out, ProtoMapper.job(jobs.get(CallerIdentity.current(), id(request.getId()))));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    List<State> states = new ArrayList<>();
    for (int i = 0; i < request.getStatesCount(); i++) {
      JobState s = request.getStates(i);
      State state = ProtoMapper.state(s);
      if (state == null) {
        v.fail("states[" + i + "]", "not a job state: " + s);
      } else {
        states.add(state);
      }
    }
    String type = v.name("type", request.getType(), false);
    String queue = v.name("queue", request.getQueue(), false);
    var labels = v.labels("labels", request.getLabelsMap());
    int pageSize = v.pageSize("page_size", request.getPageSize(), DEFAULT_PAGE, MAX_PAGE);
    PageTokens.JobCursor after =
        request.getPageToken().isEmpty() ? null : PageTokens.jobs(request.getPageToken(), v);
    v.check();
    ListQuery query =
        new ListQuery(
            CallerIdentity.current().ownerScope(),
            states,
            type,
            queue,
            labels,
            after == null ? null : after.createTime(),
            after == null ? null : after.id(),
            pageSize + 1);
    List<Job> page = jobs.list(query);
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder();
    for (int i = 0; i < Math.min(pageSize, page.size()); i++) {
      response.addJobs(ProtoMapper.job(page.get(i)));
    }
    if (page.size() > pageSize) {
      Job last = page.get(pageSize - 1);
      response.setNextPageToken(PageTokens.jobs(last.createTime(), last.id()));
    }
    reply(out, response.build());
  }

  /** A job and why: CancelJob's and StopJob's request. */
  private record IdAndReason(UUID id, String reason) {}

  private IdAndReason idAndReason(String id, String reason) {
    RequestValidator v = new RequestValidator(limits);
    IdAndReason r = new IdAndReason(v.id("id", id), v.text("reason", reason, 1024));
    v.check();
    return r;
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    IdAndReason r = idAndReason(request.getId(), request.getReason());
    reply(out, ProtoMapper.job(jobs.cancel(CallerIdentity.current(), r.id(), r.reason())));
  }

  @Override
  public void stopJob(StopJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    IdAndReason r = idAndReason(request.getId(), request.getReason());
    reply(out, ProtoMapper.job(jobs.stop(CallerIdentity.current(), r.id(), r.reason())));
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<io.overseer.v1.JobEvent> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("id", request.getId());
    if (request.getAfterSequence() < 0) {
      v.fail("after_sequence", "must not be negative");
    }
    v.check();
    watcher.watch(CallerIdentity.current(), id, request.getAfterSequence(), out);
  }

  @Override
  public void listJobEvents(ListJobEventsRequest request, StreamObserver<ListJobEventsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("id", request.getId());
    int pageSize = v.pageSize("page_size", request.getPageSize(), DEFAULT_PAGE, MAX_PAGE);
    long after = request.getPageToken().isEmpty() ? 0 : PageTokens.events(request.getPageToken(), v);
    v.check();
    List<JobEvent> page = jobs.events(CallerIdentity.current(), id, after, pageSize + 1);
    ListJobEventsResponse.Builder response = ListJobEventsResponse.newBuilder();
    for (int i = 0; i < Math.min(pageSize, page.size()); i++) {
      response.addEvents(ProtoMapper.event(page.get(i)));
    }
    if (page.size() > pageSize) {
      response.setNextPageToken(PageTokens.events(page.get(pageSize - 1).sequence()));
    }
    reply(out, response.build());
  }

  @Override
  public void listJobAssets(ListJobAssetsRequest request, StreamObserver<ListJobAssetsResponse> out) {
    ListJobAssetsResponse.Builder response = ListJobAssetsResponse.newBuilder();
    jobs.assets(CallerIdentity.current(), id(request.getId()))
        .forEach(a -> response.addAssets(ProtoMapper.asset(a)));
    reply(out, response.build());
  }

  @Override
  public void listJobLogs(ListJobLogsRequest request, StreamObserver<ListJobLogsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("id", request.getId());
    if (request.getAfterSequence() < 0) {
      v.fail("after_sequence", "must not be negative");
    }
    int pageSize = v.pageSize("page_size", request.getPageSize(), DEFAULT_PAGE, MAX_PAGE);
    long after = request.getPageToken().isEmpty() ? request.getAfterSequence() : PageTokens.logs(request.getPageToken(), v);
    v.check();
    List<LogLine> page = logs.list(CallerIdentity.current(), id, after, pageSize + 1);
    ListJobLogsResponse.Builder response = ListJobLogsResponse.newBuilder();
    for (int i = 0; i < Math.min(pageSize, page.size()); i++) {
      response.addLines(ProtoMapper.logLine(page.get(i)));
    }
    if (page.size() > pageSize) {
      response.setNextPageToken(PageTokens.logs(page.get(pageSize - 1).sequence()));
    }
    reply(out, response.build());
  }

  @Override
  public void watchJobLogs(WatchJobLogsRequest request, StreamObserver<io.overseer.v1.LogLine> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("id", request.getId());
    if (request.getAfterSequence() < 0) {
      v.fail("after_sequence", "must not be negative");
    }
    v.check();
    logWatcher.watch(CallerIdentity.current(), id, request.getAfterSequence(), out);
  }

  private UUID id(String value) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("id", value);
    v.check();
    return id;
  }

  static <T> void reply(StreamObserver<T> out, T message) {
    out.onNext(message);
    out.onCompleted();
  }
}

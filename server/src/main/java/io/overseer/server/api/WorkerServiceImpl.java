package io.overseer.server.api;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.overseer.server.core.ClaimOperations;
import io.overseer.server.core.ClaimOperations.ClaimRequest;
import io.overseer.server.core.GroupCommit;
import io.overseer.server.core.LogOperations;
import io.overseer.server.core.WorkerOperations;
import io.overseer.server.core.WorkerOperations.CompleteCall;
import io.overseer.server.domain.Asset;
import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.NewLogLine;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.TimeOrderedIds;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.AppendJobLogsResponse;
import io.overseer.v1.BatchCompleteJobsRequest;
import io.overseer.v1.BatchCompleteJobsResponse;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.ClaimJobsResponse;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CompleteJobResult;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Lease;
import io.overseer.v1.ReportServingRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** WorkerService: validate, call {@link WorkerOperations} / {@link ClaimOperations}, map. */
public final class WorkerServiceImpl implements WorkerServiceGrpc.AsyncService, io.grpc.BindableService {
  static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  static final Duration MIN_LEASE = Duration.ofSeconds(1);
  static final Duration MAX_LEASE = Duration.ofHours(1);
  static final Duration MAX_WAIT = Duration.ofSeconds(60);
  /** A long poll returns this long before the caller's deadline, so the empty answer arrives. */
  static final long DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final WorkerOperations workers;
  private final ClaimOperations claims;
  private final LogOperations logs;
  private final Limits limits;

  public WorkerServiceImpl(WorkerOperations workers, ClaimOperations claims, LogOperations logs, Limits limits) {
    this.workers = workers;
    this.claims = claims;
    this.logs = logs;
    this.limits = limits;
  }

  /** Malformed request bytes are INVALID_ARGUMENT, not grpc-java's UNKNOWN (see {@link RequestParsing}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestParsing.rejectingMalformed(WorkerServiceGrpc.bindService(this));
  }

  @Override
  public void claimJobs(ClaimJobsRequest request, StreamObserver<ClaimJobsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    String workerId = v.required("worker_id", request.getWorkerId(), 256);
    List<String> queues = names(v, "queues", request.getQueuesList());
    List<String> types = names(v, "types", request.getTypesList());
    int maxJobs = request.getMaxJobs() == 0 ? 1 : v.range("max_jobs", request.getMaxJobs(), 1, 1000);
    Duration wait = request.hasWait() ? v.duration("wait", request.getWait(), Duration.ZERO, MAX_WAIT) : Duration.ZERO;
    Duration lease =
        request.hasLeaseDuration() ? v.duration("lease_duration", request.getLeaseDuration(), MIN_LEASE, MAX_LEASE) : DEFAULT_LEASE;
    v.check();
    long until = System.nanoTime() + wait.toNanos();
    Deadline deadline = Context.current().getDeadline();
    if (deadline != null) {
      until = Math.min(until, System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS) - DEADLINE_MARGIN_NANOS);
    }
    // a worker that stops waiting (cancels its call) must not be handed jobs it will never see
    Context call = Context.current();
    Context.CancellationListener wake = cancelled -> claims.wakeWaiters();
    call.addListener(wake, Runnable::run);
    List<Job> claimed;
    try {
      claimed = claims.claim(CallerIdentity.current(), new ClaimRequest(workerId, queues, types, maxJobs, lease), until, call::isCancelled);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ErrorMapper.toStatus(e);
    } finally {
      call.removeListener(wake);
    }
    if (call.isCancelled() && claimed.isEmpty()) {
      return; // nobody is listening any more
    }
    ClaimJobsResponse.Builder response = ClaimJobsResponse.newBuilder();
    for (Job j : claimed) {
      response.addLeases(
          Lease.newBuilder()
              .setJob(ProtoMapper.job(j))
              .setLeaseToken(j.leaseToken())
              .setLeaseExpireTime(ProtoMapper.timestamp(j.leaseExpireTime())));
    }
    JobServiceImpl.reply(out, response.build());
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("job_id", request.getJobId());
    String token = v.required("lease_token", request.getLeaseToken(), 256);
    Integer progress = request.hasProgress() ? v.range("progress", request.getProgress(), 0, 100) : null;
    String stage = request.hasStage() ? v.text("stage", request.getStage(), 128) : null;
    String message = request.hasMessage() ? v.text("message", request.getMessage(), RequestValidator.MAX_TEXT) : null;
    Duration lease =
        request.hasLeaseDuration() ? v.duration("lease_duration", request.getLeaseDuration(), MIN_LEASE, MAX_LEASE) : null;
    v.check();
    Job job = workers.heartbeat(CallerIdentity.current(), id, token, progress, stage, message, lease);
    JobServiceImpl.reply(
        out,
        HeartbeatResponse.newBuilder()
            .setLeaseExpireTime(ProtoMapper.timestamp(job.leaseExpireTime()))
            .setCancelRequested(job.cancelRequested())
            .setStopRequested(job.stopRequested())
            .build());
  }

  @Override
  public void completeJob(CompleteJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    CompleteCall call = completeCall("", request);
    Principal p = CallerIdentity.current();
    JobServiceImpl.reply(
        out, ProtoMapper.job(workers.complete(p, call.id(), call.token(), call.resultJson(), call.partial(), call.error())));
  }

  /**
   * Each request is validated and applied on its own: a bad or refused one gets its error in its
   * result (with the details CompleteJob would have sent) and the others go ahead.
   */
  @Override
  public void batchCompleteJobs(BatchCompleteJobsRequest request, StreamObserver<BatchCompleteJobsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    int n = request.getRequestsCount();
    if (n == 0) {
      v.fail("requests", "at least one request is required");
    }
    if (n > JobServiceImpl.MAX_BATCH) {
      v.fail("requests", "at most " + JobServiceImpl.MAX_BATCH + " requests per batch, got " + n);
    }
    v.check();
    CompleteJobResult[] results = new CompleteJobResult[n];
    List<CompleteCall> valid = new ArrayList<>(n);
    List<Integer> positions = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      try {
        valid.add(completeCall("requests[" + i + "].", request.getRequests(i)));
        positions.add(i);
      } catch (RuntimeException e) {
        results[i] = CompleteJobResult.newBuilder().setError(ErrorMapper.details(e)).build();
      }
    }
    List<GroupCommit.Outcome<Job>> done =
        valid.isEmpty() ? List.of() : workers.completeAll(CallerIdentity.current(), valid);
    for (int k = 0; k < done.size(); k++) {
      GroupCommit.Outcome<Job> o = done.get(k);
      results[positions.get(k)] =
          o.error() == null
              ? CompleteJobResult.newBuilder().setJob(ProtoMapper.job(o.value())).build()
              : CompleteJobResult.newBuilder().setError(ErrorMapper.details(o.error())).build();
    }
    JobServiceImpl.reply(out, BatchCompleteJobsResponse.newBuilder().addAllResults(List.of(results)).build());
  }

  private CompleteCall completeCall(String prefix, CompleteJobRequest request) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id(prefix + "job_id", request.getJobId());
    String token = v.required(prefix + "lease_token", request.getLeaseToken(), 256);
    String result = request.hasResult() ? v.json(prefix + "result", request.getResult()) : "{}";
    String error = v.text(prefix + "error_message", request.getErrorMessage(), RequestValidator.MAX_ERROR_MESSAGE);
    v.check();
    return new CompleteCall(id, token, result, request.getPartial(), error);
  }

  @Override
  public void failJob(FailJobRequest request, StreamObserver<io.overseer.v1.Job> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("job_id", request.getJobId());
    String token = v.required("lease_token", request.getLeaseToken(), 256);
    String error = v.text("error_message", request.getErrorMessage(), RequestValidator.MAX_ERROR_MESSAGE);
    Duration retryAfter =
        request.hasRetryAfter() ? v.duration("retry_after", request.getRetryAfter(), Duration.ZERO, Duration.ofDays(7)) : null;
    v.check();
    Principal p = CallerIdentity.current();
    JobServiceImpl.reply(out, ProtoMapper.job(workers.fail(p, id, token, error, request.getRetryable(), retryAfter)));
  }

  @Override
  public void addAsset(AddAssetRequest request, StreamObserver<io.overseer.v1.Asset> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("job_id", request.getJobId());
    String token = v.required("lease_token", request.getLeaseToken(), 256);
    String type = v.required("asset_type", request.getAssetType(), 128);
    String uri = v.required("uri", request.getUri(), RequestValidator.MAX_TEXT);
    String path = v.text("storage_path", request.getStoragePath(), RequestValidator.MAX_TEXT);
    if (request.getSizeBytes() < 0) {
      v.fail("size_bytes", "must not be negative");
    }
    String contentType = v.text("content_type", request.getContentType(), 256);
    String checksum = v.text("checksum", request.getChecksum(), 256);
    v.check();
    Asset asset = new Asset(TimeOrderedIds.next(), id, "", type, uri, path, request.getSizeBytes(), contentType, checksum, Instant.EPOCH);
    JobServiceImpl.reply(out, ProtoMapper.asset(workers.addAsset(CallerIdentity.current(), id, token, asset)));
  }

  @Override
  public void reportServing(ReportServingRequest request, StreamObserver<io.overseer.v1.Job> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("job_id", request.getJobId());
    String token = v.required("lease_token", request.getLeaseToken(), 256);
    List<Endpoint> endpoints = v.endpoints("endpoints", request.getEndpointsList());
    String message = v.text("message", request.getMessage(), RequestValidator.MAX_TEXT);
    v.check();
    JobServiceImpl.reply(out, ProtoMapper.job(workers.reportServing(CallerIdentity.current(), id, token, endpoints, message)));
  }

  @Override
  public void appendJobLogs(AppendJobLogsRequest request, StreamObserver<AppendJobLogsResponse> out) {
    RequestValidator v = new RequestValidator(limits);
    UUID id = v.id("job_id", request.getJobId());
    String token = v.required("lease_token", request.getLeaseToken(), 256);
    List<NewLogLine> lines = v.logLines("lines", request.getLinesList(), request.getSerializedSize());
    v.check();
    JobServiceImpl.reply(out, AppendJobLogsResponse.newBuilder().setLastSequence(logs.append(id, token, lines)).build());
  }

  private static List<String> names(RequestValidator v, String field, List<String> values) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      names.add(v.name(field + "[" + i + "]", values.get(i), true));
    }
    return names;
  }
}

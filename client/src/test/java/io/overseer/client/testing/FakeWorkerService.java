package io.overseer.client.testing;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.AppendJobLogsResponse;
import io.overseer.v1.BatchCompleteJobsRequest;
import io.overseer.v1.BatchCompleteJobsResponse;
import io.overseer.v1.Asset;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.ClaimJobsResponse;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CompleteJobResult;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Scriptable WorkerService: tests put leases in, and read what the worker sent. */
public final class FakeWorkerService extends WorkerServiceGrpc.WorkerServiceImplBase {
  public final BlockingQueue<Lease> claimable = new LinkedBlockingQueue<>();
  public final BlockingQueue<ClaimJobsRequest> claims = new LinkedBlockingQueue<>();
  public final BlockingQueue<HeartbeatRequest> heartbeats = new LinkedBlockingQueue<>();
  public final BlockingQueue<CompleteJobRequest> completions = new LinkedBlockingQueue<>();
  public final BlockingQueue<FailJobRequest> failures = new LinkedBlockingQueue<>();
  public final BlockingQueue<AddAssetRequest> assets = new LinkedBlockingQueue<>();
  /** BatchCompleteJobs calls received; false answers them UNIMPLEMENTED, as an older server would. */
  public final BlockingQueue<BatchCompleteJobsRequest> batches = new LinkedBlockingQueue<>();
  public volatile boolean batchCompletion = true;
  /** Run (one per call, in order) before a BatchCompleteJobs call is answered: e.g. to hold it. */
  public final BlockingQueue<Runnable> beforeBatch = new LinkedBlockingQueue<>();
  /** Errors returned (one per completion, in order, in a batch too) before CompleteJob succeeds. */
  public final BlockingQueue<StatusRuntimeException> completeErrors = new LinkedBlockingQueue<>();
  /** Errors returned (one per call, in order) before AddAsset succeeds. */
  public final BlockingQueue<StatusRuntimeException> assetErrors = new LinkedBlockingQueue<>();
  /** AppendJobLogs calls received, in order. */
  public final BlockingQueue<AppendJobLogsRequest> logs = new LinkedBlockingQueue<>();
  /** Errors returned (one per call, in order) before AppendJobLogs succeeds; nothing is recorded for them. */
  public final BlockingQueue<StatusRuntimeException> logErrors = new LinkedBlockingQueue<>();
  /** false answers AppendJobLogs UNIMPLEMENTED, as a server older than logs would. */
  public volatile boolean logsSupported = true;
  /** What the worker did, in order: "logs N" per AppendJobLogs (N lines), "complete", "fail". */
  public final java.util.List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Answers heartbeats; may throw a StatusRuntimeException. */
  public volatile Function<HeartbeatRequest, HeartbeatResponse> heartbeatBehavior =
      request -> HeartbeatResponse.getDefaultInstance();

  private final Map<String, Job> leased = new ConcurrentHashMap<>();

  /** Makes a job claimable and returns its lease. */
  public Lease offer(String type, Map<String, ?> params) {
    Job job = Job.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setType(type)
        .setQueue("default")
        .setState(JobState.JOB_STATE_RUNNING)
        .setAttempt(1)
        .setMaxAttempts(3)
        .setParams(io.overseer.client.Structs.toStruct(params))
        .build();
    Lease lease = Lease.newBuilder().setJob(job).setLeaseToken("token-" + job.getId()).build();
    leased.put(job.getId(), job);
    claimable.add(lease);
    return lease;
  }

  @Override
  public void claimJobs(ClaimJobsRequest request, StreamObserver<ClaimJobsResponse> response) {
    claims.add(request);
    ClaimJobsResponse.Builder out = ClaimJobsResponse.newBuilder();
    try {
      long waitMillis = request.getWait().getSeconds() * 1000 + request.getWait().getNanos() / 1_000_000;
      Lease first = claimable.poll(Math.min(waitMillis, 200), TimeUnit.MILLISECONDS);
      if (first != null) {
        out.addLeases(first);
        while (out.getLeasesCount() < Math.max(1, request.getMaxJobs())) {
          Lease next = claimable.poll();
          if (next == null) {
            break;
          }
          out.addLeases(next);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
    heartbeats.add(request);
    try {
      response.onNext(heartbeatBehavior.apply(request));
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  @Override
  public void completeJob(CompleteJobRequest request, StreamObserver<Job> response) {
    try {
      response.onNext(completeOne(request));
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  @Override
  public void batchCompleteJobs(BatchCompleteJobsRequest request, StreamObserver<BatchCompleteJobsResponse> response) {
    if (!batchCompletion) {
      response.onError(Status.UNIMPLEMENTED.withDescription("an older server").asRuntimeException());
      return;
    }
    batches.add(request);
    try {
      Runnable hold = beforeBatch.poll();
      if (hold != null) {
        hold.run();
      }
    } catch (RuntimeException e) {
      response.onError(e);
      return;
    }
    BatchCompleteJobsResponse.Builder out = BatchCompleteJobsResponse.newBuilder();
    for (CompleteJobRequest r : request.getRequestsList()) {
      try {
        out.addResults(CompleteJobResult.newBuilder().setJob(completeOne(r)));
      } catch (StatusRuntimeException e) {
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        out.addResults(CompleteJobResult.newBuilder().setError(details != null ? details
            : com.google.rpc.Status.newBuilder().setCode(e.getStatus().getCode().value())
                .setMessage(String.valueOf(e.getStatus().getDescription())).build()));
      }
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void appendJobLogs(AppendJobLogsRequest request, StreamObserver<AppendJobLogsResponse> response) {
    if (!logsSupported) {
      response.onError(Status.UNIMPLEMENTED.withDescription("an older server").asRuntimeException());
      return;
    }
    StatusRuntimeException error = logErrors.poll();
    if (error != null) {
      response.onError(error);
      return;
    }
    calls.add("logs " + request.getLinesCount()); // before the queue a test waits on: it reads both
    logs.add(request);
    response.onNext(AppendJobLogsResponse.newBuilder().setLastSequence(logs.stream().mapToLong(AppendJobLogsRequest::getLinesCount).sum()).build());
    response.onCompleted();
  }

  /** CompleteJob's answer: the completed job, or the next scripted error. */
  private Job completeOne(CompleteJobRequest request) {
    calls.add("complete");
    completions.add(request);
    StatusRuntimeException error = completeErrors.poll();
    if (error != null) {
      throw error;
    }
    return leased.getOrDefault(request.getJobId(), Job.getDefaultInstance()).toBuilder()
        .setState(request.getPartial() ? JobState.JOB_STATE_PARTIAL : JobState.JOB_STATE_COMPLETED)
        .setProgress(100)
        .setResult(request.getResult())
        .setErrorMessage(request.getErrorMessage())
        .build();
  }

  @Override
  public void failJob(FailJobRequest request, StreamObserver<Job> response) {
    calls.add("fail");
    failures.add(request);
    JobState state;
    if (request.getErrorMessage().equals("cancelled") && !request.getRetryable()) {
      state = JobState.JOB_STATE_CANCELLED;
    } else {
      state = request.getRetryable() ? JobState.JOB_STATE_QUEUED : JobState.JOB_STATE_FAILED;
    }
    Job job = leased.getOrDefault(request.getJobId(), Job.getDefaultInstance()).toBuilder()
        .setState(state)
        .setErrorMessage(request.getErrorMessage())
        .build();
    response.onNext(job);
    response.onCompleted();
  }

  @Override
  public void addAsset(AddAssetRequest request, StreamObserver<Asset> response) {
    assets.add(request);
    StatusRuntimeException error = assetErrors.poll();
    if (error != null) {
      response.onError(error);
      return;
    }
    response.onNext(Asset.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setJobId(request.getJobId())
        .setAssetType(request.getAssetType())
        .setUri(request.getUri())
        .setSizeBytes(request.getSizeBytes())
        .setChecksum(request.getChecksum())
        .build());
    response.onCompleted();
  }
}

package io.overseer.client.worker;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerException;
import io.overseer.client.Structs;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import io.overseer.v1.ReportServingRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One claimed job attempt on this worker: the handler's {@link JobContext}, its lease, and why it
 * may have to stop.
 *
 * <p>Interrupt safety: the handler thread is bound while the handler runs and unbound (under the
 * same lock) before anything else runs on that pool thread, so {@link #interruptHandler()} can
 * only ever interrupt this job's handler, never a later job's or the completion call.
 */
final class ActiveJob implements JobContext {
  private static final Logger log = LoggerFactory.getLogger(ActiveJob.class);

  /** Why a job must stop before its handler is done; the first reason wins. */
  enum StopReason {
    NONE,
    CANCEL_REQUESTED,
    LEASE_LOST,
    SHUTDOWN
  }

  private final Lease lease;
  private final String workerId;
  private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
  private final Duration retryBudget;
  private JobHeartbeat heartbeat;
  private JobLog jobLog;
  private org.slf4j.Logger logger;

  private final Object threadLock = new Object();
  private Thread handlerThread; // guarded by threadLock
  private boolean handlerReturned; // guarded by threadLock
  private volatile StopReason stopReason = StopReason.NONE;
  private volatile boolean leaseLost;
  private volatile Runnable onStop = () -> {};
  private boolean serving; // guarded by threadLock: ReportServing was accepted
  private boolean workerShuttingDown; // guarded by threadLock
  private volatile boolean stopRequested; // written under threadLock
  private final CountDownLatch mustEnd = new CountDownLatch(1); // a stop request, or stop()

  ActiveJob(
      Lease lease,
      WorkerSettings settings,
      WorkerServiceGrpc.WorkerServiceBlockingStub stub) {
    this.lease = lease;
    this.workerId = settings.workerId();
    this.retryBudget = settings.completionRetryBudget();
    this.stub = stub;
  }

  void attachHeartbeat(JobHeartbeat heartbeat) {
    this.heartbeat = heartbeat;
  }

  void attachLog(JobLog jobLog) {
    this.jobLog = jobLog;
    this.logger = new JobLogger(jobId(), jobLog);
  }

  JobLog log() {
    return jobLog;
  }

  /** Runs {@code hook} (on the stopping thread) when the job is first stopped, for any reason. */
  void onStop(Runnable hook) {
    this.onStop = hook;
  }

  JobHeartbeat heartbeat() {
    return heartbeat;
  }

  String leaseToken() {
    return lease.getLeaseToken();
  }

  @Override
  public Job job() {
    return lease.getJob();
  }

  @Override
  public Map<String, Object> paramsMap() {
    return Structs.toMap(params());
  }

  @Override
  public String workerId() {
    return workerId;
  }

  @Override
  public void progress(int percent, String stage, String message) {
    heartbeat.report(new ProgressUpdate(Math.max(0, Math.min(100, percent)), stage, message));
  }

  @Override
  public void stage(String stage, String message) {
    heartbeat.report(new ProgressUpdate(null, stage, message));
  }

  @Override
  public void log(String stream, String text) {
    jobLog.append(stream, text);
  }

  @Override
  public org.slf4j.Logger logger() {
    return logger;
  }

  @Override
  public boolean isCancelled() {
    return stopReason != StopReason.NONE;
  }

  @Override
  public void checkCancelled() throws JobCancelledException {
    StopReason reason = stopReason;
    switch (reason) {
      case NONE:
        return;
      case CANCEL_REQUESTED:
        throw new JobCancelledException("job " + jobId() + " was cancelled");
      case LEASE_LOST:
        throw new JobCancelledException("job " + jobId() + ": lease lost");
      default:
        throw new JobCancelledException("worker " + workerId + " is shutting down");
    }
  }

  @Override
  public Job serving(List<Endpoint> endpoints, String message) {
    ReportServingRequest request =
        ReportServingRequest.newBuilder()
            .setJobId(jobId())
            .setLeaseToken(lease.getLeaseToken())
            .addAllEndpoints(Objects.requireNonNull(endpoints, "endpoints"))
            .setMessage(message == null ? "" : message)
            .build();
    heartbeat.flush(stub); // progress reported before serving is recorded before it
    Backoff backoff = Backoff.fast();
    long giveUpAt = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        Job job = stub.reportServing(request);
        heartbeat.serving();
        boolean handBack;
        synchronized (threadLock) {
          serving = true;
          handBack = workerShuttingDown && !stopRequested;
        }
        if (handBack) {
          stopForShutdown(); // it started serving while the worker shuts down: hand it back
        }
        return job;
      } catch (StatusRuntimeException e) {
        OverseerException error = OverseerException.from(e);
        if (error.isLeaseLost()) {
          markLeaseLost();
          throw error;
        }
        // the same report repeated gets the job, so even a DEADLINE_EXCEEDED is safe to retry
        if (!error.isTransient() || System.nanoTime() >= giveUpAt) {
          throw error;
        }
        log.warn("{}: ReportServing failed ({}), retrying", this, error.getMessage());
        if (!backoff.sleep()) {
          throw error; // interrupted: the job is being stopped
        }
      }
    }
  }

  @Override
  public void awaitStop() throws JobCancelledException, InterruptedException {
    awaitStop(null);
  }

  @Override
  public boolean awaitStop(Duration timeout) throws JobCancelledException, InterruptedException {
    synchronized (threadLock) {
      if (!serving) {
        throw new IllegalStateException(this + ": awaitStop() before serving(): report where the"
            + " service is first");
      }
    }
    try {
      if (timeout == null) {
        mustEnd.await();
      } else {
        mustEnd.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      checkCancelled(); // the interrupt came with a stop reason: say which
      throw e;
    }
    checkCancelled();
    return stopRequested;
  }

  @Override
  public boolean isStopRequested() {
    return stopRequested;
  }

  @Override
  public Asset addAsset(AddAssetRequest.Builder asset) {
    AddAssetRequest request =
        asset.clone().setJobId(jobId()).setLeaseToken(lease.getLeaseToken()).build();
    heartbeat.flush(stub); // progress reported before the asset is recorded before it
    Backoff backoff = Backoff.fast();
    long giveUpAt = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        return stub.addAsset(request);
      } catch (StatusRuntimeException e) {
        OverseerException error = OverseerException.from(e);
        if (error.isLeaseLost()) {
          markLeaseLost();
          throw error;
        }
        // AddAsset is not idempotent: retry only where the server did not record it. After
        // DEADLINE_EXCEEDED it may have, and a retry could record the asset twice.
        boolean retry = error.isTransient()
            && error.code() != Status.Code.DEADLINE_EXCEEDED
            && System.nanoTime() < giveUpAt;
        if (!retry) {
          throw error;
        }
        log.warn("{}: AddAsset failed ({}), retrying", this, error.getMessage());
        if (!backoff.sleep()) {
          throw error; // interrupted: the job is being stopped
        }
      }
    }
  }

  StopReason stopReason() {
    return stopReason;
  }

  /** True once the server refused this lease: the job must never be reported. */
  boolean isLeaseLost() {
    return leaseLost;
  }

  /** A heartbeat said {@code stop_requested}: {@link #awaitStop()} returns (nothing interrupted). */
  void requestStop() {
    synchronized (threadLock) {
      stopRequested = true;
    }
    mustEnd.countDown();
  }

  /**
   * The worker started shutting down: a serving job is stopped at once, to be handed back (nobody
   * asked it to stop, and it would not end by itself within the shutdown timeout); a running
   * job may still finish, and so may a service already asked to stop.
   */
  void workerShuttingDown() {
    boolean handBack;
    synchronized (threadLock) {
      workerShuttingDown = true;
      handBack = serving && !stopRequested;
    }
    if (handBack) {
      stopForShutdown();
    }
  }

  /** A heartbeat said {@code cancel_requested}: stop the handler. */
  void requestCancel() {
    stop(StopReason.CANCEL_REQUESTED);
  }

  /** The server refused the lease: stop the handler and never report the job. */
  void markLeaseLost() {
    leaseLost = true;
    heartbeat.stop();
    jobLog.stop();
    stop(StopReason.LEASE_LOST);
  }

  /** The worker's shutdown timeout passed: stop the handler so the job can be handed back. */
  void stopForShutdown() {
    stop(StopReason.SHUTDOWN);
  }

  private void stop(StopReason reason) {
    boolean first;
    synchronized (threadLock) {
      // once the handler returned, its outcome stands: a later stop (a shutdown timing out while
      // the report waits) must not turn e.g. a non-retryable failure into a retryable hand-back
      first = stopReason == StopReason.NONE && !handlerReturned;
      if (first) {
        stopReason = reason;
      }
      interruptHandler();
    }
    mustEnd.countDown();
    if (first) {
      onStop.run();
    }
  }

  /** Binds the current thread as the handler thread (interrupting it at once if stopped). */
  void bindHandlerThread() {
    synchronized (threadLock) {
      handlerThread = Thread.currentThread();
      if (stopReason != StopReason.NONE) {
        handlerThread.interrupt();
      }
    }
  }

  /** Unbinds it and clears any interrupt aimed at the handler, so reporting is not disturbed. */
  void unbindHandlerThread() {
    synchronized (threadLock) {
      handlerThread = null;
      handlerReturned = true;
    }
    Thread.interrupted();
  }

  private void interruptHandler() {
    synchronized (threadLock) {
      if (handlerThread != null) {
        handlerThread.interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "job " + jobId() + " (" + type() + ", attempt " + attempt() + ")";
  }
}

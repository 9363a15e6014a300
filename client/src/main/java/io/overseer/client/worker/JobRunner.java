package io.overseer.client.worker;

import io.grpc.StatusRuntimeException;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerException;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job's handler on a pool thread and reports how it ended (CompleteJob, through the
 * worker's {@link CompletionSender}, or FailJob).
 *
 * <p>Reports are retried on transient errors: that is safe because the server gives the finished
 * job back to the lease that finished it when the same report is repeated. LEASE_LOST ends the
 * attempt without a report: this worker no longer owns the job.
 */
final class JobRunner {
  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
  static final String CANCELLED_MESSAGE = "cancelled";

  private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
  private final CompletionSender completions;
  private final String workerId;
  private final Duration retryBudget;

  /** How the attempt ended and the job as last known. */
  record Report(JobOutcome outcome, Job job, Throwable error) {}

  JobRunner(WorkerServiceGrpc.WorkerServiceBlockingStub stub, CompletionSender completions, WorkerSettings settings) {
    this.stub = stub;
    this.completions = completions;
    this.workerId = settings.workerId();
    this.retryBudget = settings.completionRetryBudget();
  }

  /** How the handler ended: its result, or what it threw. */
  record Handled(JobResult result, Throwable error) {}

  /**
   * Runs the handler (null: no handler for the job's type) on this thread; then sends the progress
   * it may have left and stops the heartbeats. {@link #report} sends the outcome.
   */
  Handled runHandler(ActiveJob job, JobHandler handler) {
    JobResult result = null;
    Throwable error = null;
    job.bindHandlerThread();
    try {
      if (handler == null) {
        throw new IllegalStateException(
            "worker " + workerId + " has no handler for type " + job.type());
      }
      result = handler.handle(job);
    } catch (Throwable t) { // a handler's bug must fail its job, not kill the worker
      error = t;
    } finally {
      job.unbindHandlerThread();
    }
    flushProgress(job);
    return new Handled(result, error);
  }

  /**
   * For a job stopped (cancelled, lease lost, worker shutting down) before a handler thread took
   * it: the handler never runs and the report hands it back as the stop reason says.
   */
  static Handled notStarted(ActiveJob job) {
    job.heartbeat().stop();
    job.log().stop();
    return new Handled(null, new JobCancelledException("stopped before the handler started"));
  }

  /** Reports how the handler ended (CompleteJob or FailJob), retrying transient errors. */
  Report report(ActiveJob job, Handled handled) {
    return report(job, handled.result(), handled.error());
  }

  /**
   * Sends the log lines still buffered and the last progress report if the coalescing held it
   * back (so e.g. a final line and stage are recorded before the outcome), then stops both: a call
   * racing the final report would only be refused.
   */
  private void flushProgress(ActiveJob job) {
    job.log().flush(retryBudget);
    job.log().stop();
    job.heartbeat().flush(stub);
    job.heartbeat().stop();
  }

  private Report report(ActiveJob job, JobResult result, Throwable error) {
    if (job.isLeaseLost()) {
      return new Report(JobOutcome.LEASE_LOST, job.job(), error);
    }
    if (error == null) {
      JobResult r = result == null ? JobResult.empty() : result;
      CompleteJobRequest request =
          CompleteJobRequest.newBuilder()
              .setJobId(job.jobId())
              .setLeaseToken(job.leaseToken())
              .setResult(r.result())
              .setPartial(r.isPartial())
              .setErrorMessage(r.errorMessage())
              .build();
      Job done = withRetries(job, "CompleteJob", () -> completions.complete(request));
      return finished(job, done, r.isPartial() ? JobOutcome.PARTIAL : JobOutcome.COMPLETED, null);
    }
    FailJobRequest.Builder fail =
        FailJobRequest.newBuilder().setJobId(job.jobId()).setLeaseToken(job.leaseToken());
    JobOutcome intended;
    switch (job.stopReason()) {
      case CANCEL_REQUESTED:
        fail.setErrorMessage(CANCELLED_MESSAGE).setRetryable(false);
        intended = JobOutcome.CANCELLED;
        break;
      case SHUTDOWN:
        fail.setErrorMessage("worker " + workerId + " shut down before the job finished")
            .setRetryable(true);
        intended = JobOutcome.RETRYING;
        break;
      default:
        boolean retryable = !(error instanceof NonRetryableException);
        fail.setErrorMessage(describe(error)).setRetryable(retryable);
        intended = retryable ? JobOutcome.RETRYING : JobOutcome.FAILED;
    }
    FailJobRequest request = fail.build();
    Job failed = withRetries(job, "FailJob", () -> stub.failJob(request));
    return finished(job, failed, intended, error);
  }

  private static Report finished(ActiveJob job, Job reported, JobOutcome intended, Throwable e) {
    if (reported == null) {
      return new Report(job.isLeaseLost() ? JobOutcome.LEASE_LOST : JobOutcome.UNREPORTED,
          job.job(), e);
    }
    return new Report(outcomeOf(reported.getState(), intended), reported, e);
  }

  /** The server's word wins: e.g. a retryable failure with no attempts left is FAILED. */
  static JobOutcome outcomeOf(JobState state, JobOutcome intended) {
    switch (state) {
      case JOB_STATE_COMPLETED:
        return JobOutcome.COMPLETED;
      case JOB_STATE_PARTIAL:
        return JobOutcome.PARTIAL;
      case JOB_STATE_FAILED:
        return JobOutcome.FAILED;
      case JOB_STATE_CANCELLED:
        return JobOutcome.CANCELLED;
      case JOB_STATE_QUEUED:
        return JobOutcome.RETRYING;
      default:
        return intended;
    }
  }

  /** The error message a FailJob carries: the exception's message, else its class name. */
  static String describe(Throwable error) {
    String message = error.getMessage();
    return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
  }

  /** Null when the report was not accepted (lease lost, a permanent error, or out of time). */
  private Job withRetries(ActiveJob job, String what, Supplier<Job> call) {
    Backoff backoff = Backoff.fast();
    long giveUpAt = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        OverseerException error = OverseerException.from(e);
        if (error.isLeaseLost()) {
          log.warn("{}: {} refused, lease lost ({})", job, what, error.description());
          job.markLeaseLost();
          return null;
        }
        if (!error.isTransient() || System.nanoTime() > giveUpAt) {
          log.error("{}: {} failed, giving up: {}", job, what, error.getMessage());
          return null;
        }
        log.warn("{}: {} failed ({}), retrying", job, what, error.getMessage());
        if (!backoff.sleep()) {
          log.error("{}: interrupted while retrying {}", job, what);
          return null;
        }
      }
    }
  }
}

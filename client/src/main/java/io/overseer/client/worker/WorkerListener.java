package io.overseer.client.worker;

import io.overseer.v1.Job;

/**
 * Notified when the worker starts a job's handler (on the handler's thread) and when the job's
 * outcome is reported (on a report thread). Implementations must be thread-safe (jobs run
 * concurrently) and quick; exceptions they throw are logged and ignored. A job stopped before its
 * handler started (see {@link WorkerBuilder#prefetch}) is only finished, never started.
 */
public interface WorkerListener {
  default void jobStarted(JobContext job) {}

  /**
   * @param job the context the handler ran with
   * @param outcome how the attempt ended
   * @param finalJob the job as the server returned it after the report, or as claimed when no
   *     report was accepted
   * @param error what the handler threw, or null if it returned
   */
  default void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable error) {}
}

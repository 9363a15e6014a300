package io.overseer.client.worker;

import io.overseer.v1.Job;

/**
 * Notified when the worker starts and finishes jobs, on the job's handler thread. Implementations
 * must be thread-safe (jobs run concurrently) and quick; exceptions they throw are logged and
 * ignored.
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

package io.overseer.client.worker;

/**
 * Runs one job of one type. Called on one of the worker's handler threads, once per claimed
 * attempt.
 *
 * <ul>
 *   <li>Return a {@link JobResult} (or {@code null} for an empty result): the job is completed
 *       (or ends PARTIAL with {@link JobResult#partial}).
 *   <li>Throw {@link NonRetryableException}: the job fails for good.
 *   <li>Throw anything else: the job fails retryably; the server re-queues it with backoff while
 *       attempts are left.
 * </ul>
 *
 * <p>Cancellation interrupts the thread and sets {@link JobContext#isCancelled()}; a handler that
 * then throws (e.g. the {@link InterruptedException}, or {@link JobContext#checkCancelled()})
 * acknowledges it and the job ends CANCELLED. A handler that returns normally anyway completes the
 * job: the work is done.
 */
@FunctionalInterface
public interface JobHandler {
  JobResult handle(JobContext ctx) throws Exception;
}

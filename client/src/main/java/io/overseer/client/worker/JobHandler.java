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
 *
 * <p>A service job (a notebook, a model server) starts its service, calls {@link
 * JobContext#serving} with where it is, then {@link JobContext#awaitStop()}, which returns when a
 * caller stops the job (close the service and return: COMPLETED) and throws when it is cancelled,
 * its lease is lost or the worker shuts down (close the service and let it propagate):
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
 * server.start();
 * try {
 *   ctx.serving("http", "http://127.0.0.1:" + server.getAddress().getPort() + "/");
 *   ctx.awaitStop();
 * } finally {
 *   server.stop(0);
 * }
 * return JobResult.empty();
 * }</pre>
 */
@FunctionalInterface
public interface JobHandler {
  JobResult handle(JobContext ctx) throws Exception;
}

package io.overseer.client;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.LogLine;
import io.overseer.v1.WatchJobLogsRequest;
import java.util.Iterator;

/**
 * One WatchJobLogs stream as a blocking iterator: the stored lines after the requested sequence,
 * then live ones; it ends ({@code hasNext() == false}) once the job is terminal and every line was
 * sent. {@link #hasNext()} blocks until the next line arrives.
 *
 * <p>Errors surface from {@code hasNext()}/{@code next()} as {@link OverseerException}. The stream
 * is not reconnected; see {@link OverseerClient#watchJobLogs(String, long,
 * java.util.function.Consumer)} for that. Close it to stop early.
 */
public final class JobLogWatch implements Iterator<LogLine>, AutoCloseable {
  // The call is started inside this context, so cancelling it cancels the call from any thread.
  private final Context.CancellableContext context;
  private final Iterator<LogLine> lines;

  JobLogWatch(JobServiceGrpc.JobServiceBlockingStub stub, WatchJobLogsRequest request) {
    this.context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      this.lines = stub.watchJobLogs(request);
    } catch (StatusRuntimeException e) {
      context.cancel(null);
      throw OverseerException.from(e);
    } finally {
      context.detach(previous);
    }
  }

  @Override
  public boolean hasNext() {
    try {
      return lines.hasNext();
    } catch (StatusRuntimeException e) {
      throw OverseerException.from(e);
    }
  }

  @Override
  public LogLine next() {
    try {
      return lines.next();
    } catch (StatusRuntimeException e) {
      throw OverseerException.from(e);
    }
  }

  /** Cancels the stream; safe to call from another thread and more than once. */
  @Override
  public void close() {
    context.cancel(null);
  }
}

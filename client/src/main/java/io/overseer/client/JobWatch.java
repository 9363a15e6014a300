package io.overseer.client;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.WatchJobRequest;
import java.util.Iterator;

/**
 * One WatchJob stream as a blocking iterator. It yields the stored events after the requested
 * sequence, then live ones, and ends ({@code hasNext() == false}) after the job's terminal event.
 * {@link #hasNext()} blocks until the next event arrives.
 *
 * <p>Errors surface from {@code hasNext()}/{@code next()} as {@link OverseerException}. The
 * stream is not reconnected; see {@link OverseerClient#watch(String, long,
 * java.util.function.Consumer)} for that. Close it to stop watching early: an abandoned stream
 * otherwise stays open until its job ends or the channel closes.
 */
public final class JobWatch implements Iterator<JobEvent>, AutoCloseable {
  // The call is started inside this context, so cancelling it cancels the call from any thread.
  private final Context.CancellableContext context;
  private final Iterator<JobEvent> events;

  JobWatch(JobServiceGrpc.JobServiceBlockingStub stub, WatchJobRequest request) {
    this.context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      this.events = stub.watchJob(request);
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
      return events.hasNext();
    } catch (StatusRuntimeException e) {
      throw OverseerException.from(e);
    }
  }

  @Override
  public JobEvent next() {
    try {
      return events.next();
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

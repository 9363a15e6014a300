package io.overseer.client;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.function.Supplier;

/**
 * One server-streaming call as a blocking iterator whose errors surface as {@link
 * OverseerException}; closing it cancels the call from any thread. Not reconnected: {@link
 * StreamFollower} does that.
 */
abstract class ServerStream<T> implements Iterator<T>, AutoCloseable {
  // The call is started inside this context, so cancelling it cancels the call from any thread.
  private final Context.CancellableContext context;
  private final Iterator<T> items;

  ServerStream(Supplier<Iterator<T>> call) {
    this.context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      this.items = call.get();
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
      return items.hasNext();
    } catch (StatusRuntimeException e) {
      throw OverseerException.from(e);
    }
  }

  @Override
  public T next() {
    try {
      return items.next();
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

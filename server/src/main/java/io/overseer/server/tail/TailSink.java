package io.overseer.server.tail;

/**
 * Where a {@link Tail} stream sends its items: a gRPC server stream (see the api package's
 * adapter), later a Server-Sent Events response. A sink never buffers on the tail's behalf: the
 * tail sends only while {@link #isReady()}, and waits for the on-ready hook otherwise.
 */
public interface TailSink<T> {
  /** Whether the transport takes an item now without queueing it. */
  boolean isReady();

  /** Whether the client went away. */
  boolean isCancelled();

  /** Runs {@code hook} whenever {@link #isReady()} may have turned true. Set once, before the first send. */
  void setOnReady(Runnable hook);

  /** Runs {@code hook} once when the client goes away. Set once, before the first send. */
  void setOnCancel(Runnable hook);

  void send(T item);

  /** Ends the stream OK. */
  void complete();

  /**
   * Ends the stream with {@code error} (a domain exception or a gRPC StatusRuntimeException),
   * mapped to the transport's error; a no-op if the client already went away.
   */
  void fail(RuntimeException error);
}

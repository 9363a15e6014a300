package io.overseer.server.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.overseer.server.tail.TailSink;
import java.util.function.Function;

/** A {@link TailSink} over a gRPC server stream: items mapped to messages, errors by {@link ErrorMapper}. */
final class GrpcTailSink<T, M> implements TailSink<T> {
  private final ServerCallStreamObserver<M> out;
  private final Function<T, M> toMessage;

  GrpcTailSink(ServerCallStreamObserver<M> out, Function<T, M> toMessage) {
    this.out = out;
    this.toMessage = toMessage;
  }

  @Override
  public boolean isReady() {
    return out.isReady();
  }

  @Override
  public boolean isCancelled() {
    return out.isCancelled();
  }

  @Override
  public void setOnReady(Runnable hook) {
    out.setOnReadyHandler(hook);
  }

  @Override
  public void setOnCancel(Runnable hook) {
    out.setOnCancelHandler(hook);
  }

  @Override
  public void send(T item) {
    out.onNext(toMessage.apply(item));
  }

  @Override
  public void complete() {
    out.onCompleted();
  }

  /** Keeps the ErrorInfo and hint in the trailers. */
  @Override
  public void fail(RuntimeException error) {
    try {
      out.onError(ErrorMapper.toStatus(error));
    } catch (IllegalStateException alreadyClosed) {
      // cancelled by the client meanwhile
    }
  }
}

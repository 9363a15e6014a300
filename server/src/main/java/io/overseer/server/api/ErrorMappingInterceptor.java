package io.overseer.server.api;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.overseer.server.domain.InvalidArgumentException;

/**
 * Turns an exception thrown by a service method into the status {@link ErrorMapper} gives it,
 * instead of grpc-java's bare UNKNOWN. Services just throw. A request that could not be parsed
 * arrives as null (see {@link RequestParsing}) and is INVALID_ARGUMENT.
 */
public final class ErrorMappingInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException e) {
      close(call, e);
      return new ServerCall.Listener<>() {};
    }
    return new SimpleForwardingServerCallListener<>(delegate) {
      private boolean malformed;

      @Override
      public void onMessage(Q message) {
        if (message == null) {
          // the request's bytes were not a valid message (see RequestParsing)
          malformed = true;
          close(
              call,
              InvalidArgumentException.of(
                  "request",
                  "not a valid request message for " + call.getMethodDescriptor().getFullMethodName() + ": "
                      + RequestParsing.takeFailure()));
          return;
        }
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onHalfClose() {
        if (malformed) {
          return; // already answered
        }
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }
    };
  }

  private static void close(ServerCall<?, ?> call, RuntimeException e) {
    StatusRuntimeException s = ErrorMapper.toStatus(e);
    Metadata trailers = s.getTrailers() == null ? new Metadata() : s.getTrailers();
    try {
      call.close(s.getStatus(), trailers);
    } catch (IllegalStateException alreadyClosed) {
      // the call was already closed (e.g. cancelled by the client); nothing left to tell
    }
  }
}

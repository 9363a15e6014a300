package io.overseer.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Applied to every call of an {@link OverseerClient}'s channel: the bearer token, and the default
 * deadline for unary calls that set none. Streams (WatchJob) get no default deadline: a watch
 * lasts as long as its job.
 */
final class CallDefaults implements ClientInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String bearer;
  private final Duration deadline;

  CallDefaults(String token, Duration deadline) {
    this.bearer = token == null || token.isBlank() ? null : "Bearer " + token.strip();
    this.deadline = deadline;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    CallOptions effective = options;
    if (deadline != null
        && options.getDeadline() == null
        && method.getType() == MethodDescriptor.MethodType.UNARY) {
      effective = options.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
    ClientCall<Q, R> call = next.newCall(method, effective);
    if (bearer == null) {
      return call;
    }
    return new SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        headers.put(AUTHORIZATION, bearer);
        super.start(listener, headers);
      }
    };
  }
}

package io.overseer.server.metrics;

import com.google.rpc.ErrorInfo;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times every RPC by method and status code, and logs each failed one at warn with its reason
 * (never its metadata: that is where tokens travel).
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger("io.overseer.server.rpc");
  private final MeterRegistry registry;

  public RpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            Timer.builder("overseer.rpc")
                .description("gRPC calls served, by method and status code")
                .tags("method", method, "code", status.getCode().name())
                .register(registry)
                .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (!status.isOk() && status.getCode() != Status.Code.CANCELLED) {
              log.warn("{} failed: {} {} ({})", method, status.getCode(), reason(status, trailers), status.getDescription());
            }
            super.close(status, trailers);
          }
        },
        headers);
  }

  private static String reason(Status status, Metadata trailers) {
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    for (var any : details.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return any.unpack(ErrorInfo.class).getReason();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          break;
        }
      }
    }
    return "-";
  }
}

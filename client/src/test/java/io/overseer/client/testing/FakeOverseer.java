package io.overseer.client.testing;

import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.overseer.client.OverseerClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-JVM stand-in for the Overseer server on a loopback port, scriptable per test: the client
 * side is exercised over a real channel. Not a model of the server's semantics.
 */
public final class FakeOverseer implements AutoCloseable {
  public final FakeWorkerService workers = new FakeWorkerService();
  public final FakeJobService jobs = new FakeJobService();
  /** The authorization header of each call, "" when absent. */
  public final BlockingQueue<String> authorizations = new LinkedBlockingQueue<>();

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;

  public FakeOverseer() throws IOException {
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata metadata, ServerCallHandler<Q, R> next) {
        String value = metadata.get(AUTHORIZATION);
        authorizations.add(value == null ? "" : value);
        return Contexts.interceptCall(io.grpc.Context.current(), call, metadata, next);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(workers, headers))
        .addService(ServerInterceptors.intercept(jobs, headers))
        .build()
        .start();
  }

  public int port() {
    return server.getPort();
  }

  public String target() {
    return "127.0.0.1:" + port();
  }

  public OverseerClient client() {
    return OverseerClient.builder().target(target()).build();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}

package io.overseer.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.OverseerServer;
import io.overseer.server.ServerConfig;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.WorkerServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A real Overseer server on a test database, with a channel to it: in-process (grpc-testing
 * style, fast) or on a TCP port over Netty. Several nodes may share one {@link TestDatabase}.
 */
public final class TestServer implements AutoCloseable {
  private final OverseerServer server;
  private final ManagedChannel channel;
  private final String target;

  private TestServer(OverseerServer server, ManagedChannel channel, String target) {
    this.server = server;
    this.channel = channel;
    this.target = target;
  }

  /** An in-process node on {@code db}; extra flags as on the command line. */
  public static TestServer inProcess(TestDatabase db, String... flags) throws Exception {
    String name = "overseer-" + UUID.randomUUID();
    OverseerServer server = OverseerServer.start(config(db, flags), InProcessServerBuilder.forName(name).directExecutor());
    return new TestServer(server, InProcessChannelBuilder.forName(name).directExecutor().build(), "in-process:" + name);
  }

  /** A node on a free TCP port (Netty), reached over a plaintext Netty channel. */
  public static TestServer tcp(TestDatabase db, String... flags) throws Exception {
    OverseerServer server = OverseerServer.start(config(db, flags));
    String target = "localhost:" + server.port();
    return new TestServer(server, NettyChannelBuilder.forTarget(target).usePlaintext().build(), target);
  }

  private static ServerConfig config(TestDatabase db, String... flags) {
    List<String> args = new ArrayList<>(List.of("--port=0", "--host=127.0.0.1", "--database-url=" + db.url(), "--db-pool-size=8"));
    args.addAll(List.of(flags));
    return ServerConfig.parse(args.toArray(String[]::new));
  }

  public ManagedChannel channel() {
    return channel;
  }

  /** host:port for TCP nodes. */
  public String target() {
    return target;
  }

  public OverseerServer server() {
    return server;
  }

  public JobServiceGrpc.JobServiceBlockingStub jobs() {
    return JobServiceGrpc.newBlockingStub(channel);
  }

  public WorkerServiceGrpc.WorkerServiceBlockingStub workers() {
    return WorkerServiceGrpc.newBlockingStub(channel);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}

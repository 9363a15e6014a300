package io.overseer.client;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Configures an {@link OverseerClient}. Plaintext to {@code localhost:50051} by default.
 *
 * <pre>{@code
 * OverseerClient.builder()
 *     .target("node-a:50051,node-b:50051")   // round-robin with failover
 *     .token(System.getenv("OVERSEER_TOKEN"))
 *     .tlsTrustCert(Path.of("ca.pem"))        // implies TLS
 *     .deadline(Duration.ofSeconds(10))
 *     .build();
 * }</pre>
 */
public final class OverseerClientBuilder {
  private String target = "localhost:50051";
  private String token;
  private boolean tls;
  private Path trustCertFile;
  private Path clientCertFile;
  private Path clientKeyFile;
  private ChannelCredentials credentials;
  private Duration deadline = Duration.ofSeconds(30);
  private Duration watchReconnectTimeout = Duration.ofMinutes(2);
  private ManagedChannel channel;

  OverseerClientBuilder() {}

  /**
   * {@code host:port}, or several separated by commas: calls then go round-robin over the nodes
   * that are up. Any other gRPC target ({@code dns:///name:port}, {@code unix:/path}) is used as
   * is.
   */
  public OverseerClientBuilder target(String target) {
    this.target = Objects.requireNonNull(target, "target").strip();
    return this;
  }

  /** Several {@code host:port} targets used round-robin with failover. */
  public OverseerClientBuilder targets(List<String> targets) {
    return target(String.join(",", targets));
  }

  /** Sends {@code authorization: Bearer <token>} on every call; null or blank sends none. */
  public OverseerClientBuilder token(String token) {
    this.token = token;
    return this;
  }

  /** TLS with the JVM's default trust store (the other TLS options imply TLS too). */
  public OverseerClientBuilder tls(boolean tls) {
    this.tls = tls;
    return this;
  }

  /** Trusts the CA certificate(s) in this PEM file instead of the JVM's defaults; implies TLS. */
  public OverseerClientBuilder tlsTrustCert(Path caPemFile) {
    this.trustCertFile = caPemFile;
    return this;
  }

  /** Presents this client certificate chain and PKCS#8 key (mutual TLS); implies TLS. */
  public OverseerClientBuilder tlsClientCert(Path certChainPemFile, Path privateKeyPemFile) {
    this.clientCertFile = Objects.requireNonNull(certChainPemFile, "certChainPemFile");
    this.clientKeyFile = Objects.requireNonNull(privateKeyPemFile, "privateKeyPemFile");
    return this;
  }

  /** Full control over the channel credentials; overrides the other TLS options. */
  public OverseerClientBuilder credentials(ChannelCredentials credentials) {
    this.credentials = credentials;
    return this;
  }

  /** Default deadline of unary calls that set none (30 s); null for none. Streams get none. */
  public OverseerClientBuilder deadline(Duration deadline) {
    this.deadline = deadline;
    return this;
  }

  /** How long {@code watch(id, after, consumer)} keeps trying to reconnect (2 min). */
  public OverseerClientBuilder watchReconnectTimeout(Duration timeout) {
    this.watchReconnectTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * Wraps an existing channel instead of building one (the target and TLS options are then
   * ignored; token and deadline still apply). {@link OverseerClient#close()} leaves it open: its
   * creator shuts it down.
   */
  public OverseerClientBuilder channel(ManagedChannel channel) {
    this.channel = channel;
    return this;
  }

  public OverseerClient build() {
    if (channel != null) {
      return new OverseerClient(null, channel, target, token, deadline, watchReconnectTimeout);
    }
    ManagedChannel built = buildChannel();
    return new OverseerClient(built, built, target, token, deadline, watchReconnectTimeout);
  }

  @SuppressWarnings("deprecation") // nameResolverFactory: the simplest way to a fixed list
  private ManagedChannel buildChannel() {
    ChannelCredentials creds = channelCredentials();
    ManagedChannelBuilder<?> builder;
    if (target.contains(",")) {
      List<HostPort> nodes = HostPort.parseList(target);
      builder =
          Grpc.newChannelBuilder(
                  StaticAddressResolver.SCHEME + ":///" + nodes.get(0).authority(), creds)
              .nameResolverFactory(new StaticAddressResolver.Factory(nodes))
              .defaultLoadBalancingPolicy("round_robin");
    } else if (target.contains("://") || target.startsWith("unix:")) {
      builder = Grpc.newChannelBuilder(target, creds);
    } else {
      builder = Grpc.newChannelBuilder(HostPort.parse(target).authority(), creds);
    }
    return builder.userAgent("overseer-java").build();
  }

  private ChannelCredentials channelCredentials() {
    if (credentials != null) {
      return credentials;
    }
    if (!tls && trustCertFile == null && clientCertFile == null) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    try {
      if (trustCertFile != null) {
        builder.trustManager(trustCertFile.toFile());
      }
      if (clientCertFile != null) {
        builder.keyManager(clientCertFile.toFile(), clientKeyFile.toFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
    }
    return builder.build();
  }
}

package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerClientBuilder;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a command reaches the server: target, token and TLS (a picocli mixin). Public for the
 * {@code bench} commands in {@code io.overseer.cli.bench}.
 */
public final class ConnectionOptions {
  @Option(
      names = "--target",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:OVERSEER_TARGET:-localhost:50051}",
      description = {
        "Server address; several comma-separated are used round-robin with failover.",
        "Default: ${DEFAULT-VALUE} (env OVERSEER_TARGET)."
      })
  String target;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:OVERSEER_TOKEN}",
      showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER,
      description = "Bearer token (env OVERSEER_TOKEN).")
  String token;

  @Option(
      names = "--tls",
      defaultValue = "${env:OVERSEER_TLS:-false}",
      description = "Use TLS, trusting the JVM's CAs unless --tls-ca is given (env OVERSEER_TLS).")
  boolean tls;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      defaultValue = "${env:OVERSEER_TLS_CA}",
      description = "PEM file of the CA(s) to trust; implies --tls (env OVERSEER_TLS_CA).")
  Path tlsCa;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "${env:OVERSEER_TLS_CERT}",
      description = "PEM client certificate chain for mutual TLS (env OVERSEER_TLS_CERT).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "${env:OVERSEER_TLS_KEY}",
      description = "PEM (PKCS#8) key of --tls-cert (env OVERSEER_TLS_KEY).")
  Path tlsKey;

  /** The --target value, for messages. */
  public String target() {
    return target;
  }

  /** A new client (its own channel) built from these options; the caller closes it. */
  public OverseerClient connect() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new UsageException("--tls-cert and --tls-key go together");
    }
    OverseerClientBuilder builder = OverseerClient.builder().target(target).token(token);
    if (tls || tlsCa != null || tlsCert != null) {
      builder.tls(true);
    }
    if (tlsCa != null) {
      builder.tlsTrustCert(tlsCa);
    }
    if (tlsCert != null) {
      builder.tlsClientCert(tlsCert, tlsKey);
    }
    return builder.build();
  }
}

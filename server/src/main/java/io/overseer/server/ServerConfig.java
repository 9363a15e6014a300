package io.overseer.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Every setting of the server: a flag, and an {@code OVERSEER_*} environment variable as its
 * default. {@link #validate()} fails fast with a message that names the flag to change.
 */
@Command(
    name = "overseer-server",
    mixinStandardHelpOptions = true,
    version = "overseer 0.1.0",
    description = "Overseer: a gRPC job-orchestration server on PostgreSQL.",
    sortOptions = false,
    usageHelpAutoWidth = true,
    showDefaultValues = true)
public final class ServerConfig {
  @Option(names = "--port", defaultValue = "${env:OVERSEER_PORT:-50051}", description = "gRPC port; 0 picks a free one. Env: OVERSEER_PORT.")
  public int port;

  @Option(names = "--host", defaultValue = "${env:OVERSEER_HOST:-0.0.0.0}", description = "Address to bind. Env: OVERSEER_HOST.")
  public String host;

  @Option(names = "--database-url", defaultValue = "${env:OVERSEER_DATABASE_URL}", description = "jdbc:postgresql://host:port/db?user=…; unset starts an embedded PostgreSQL. Env: OVERSEER_DATABASE_URL.")
  public String databaseUrl;

  @Option(names = "--listen-database-url", defaultValue = "${env:OVERSEER_LISTEN_DATABASE_URL}", description = "jdbc:postgresql://… of a direct connection for the node's LISTEN (notifications need one, e.g. when --database-url points at PgBouncer in transaction mode); unset uses the pool's URL. Env: OVERSEER_LISTEN_DATABASE_URL.")
  public String listenDatabaseUrl;

  @Option(names = "--data-dir", defaultValue = "${env:OVERSEER_DATA_DIR:-./overseer-data}", description = "Data directory of the embedded PostgreSQL. Env: OVERSEER_DATA_DIR.")
  public Path dataDir;

  @Option(names = "--db-pool-size", defaultValue = "${env:OVERSEER_DB_POOL_SIZE:-16}", description = "Maximum database connections. Env: OVERSEER_DB_POOL_SIZE.")
  public int poolSize;

  @Option(names = "--queue-limit", split = ",", defaultValue = "${env:OVERSEER_QUEUE_LIMITS}", description = "Per-queue concurrency limit, e.g. gpu=1 (repeatable or comma-separated). Env: OVERSEER_QUEUE_LIMITS.")
  public Map<String, Integer> queueLimits = new LinkedHashMap<>();

  @Option(names = "--cancel-grace", defaultValue = "${env:OVERSEER_CANCEL_GRACE:-30s}", converter = DurationConverter.class, description = "How long a running job's worker has to acknowledge a cancel. Env: OVERSEER_CANCEL_GRACE.")
  public Duration cancelGrace;

  @Option(names = "--stop-grace", defaultValue = "${env:OVERSEER_STOP_GRACE:-30s}", converter = DurationConverter.class, description = "How long a stopping service job's worker has to complete it before it is FAILED. Env: OVERSEER_STOP_GRACE.")
  public Duration stopGrace;

  @Option(names = "--maintenance-interval", defaultValue = "${env:OVERSEER_MAINTENANCE_INTERVAL:-1s}", converter = DurationConverter.class, description = "How often expired leases, timeouts and cancels are handled. Env: OVERSEER_MAINTENANCE_INTERVAL.")
  public Duration maintenanceInterval;

  @Option(names = "--drain-timeout", defaultValue = "${env:OVERSEER_DRAIN_TIMEOUT:-10s}", converter = DurationConverter.class, description = "On SIGTERM, how long in-flight calls may finish. Env: OVERSEER_DRAIN_TIMEOUT.")
  public Duration drainTimeout;

  @Option(names = "--max-payload-bytes", defaultValue = "${env:OVERSEER_MAX_PAYLOAD_BYTES:-1048576}", description = "Largest params or result, as JSON. Env: OVERSEER_MAX_PAYLOAD_BYTES.")
  public int maxPayloadBytes;

  @Option(names = "--auth-tokens-file", defaultValue = "${env:OVERSEER_AUTH_TOKENS_FILE}", description = "Tokens file (lines 'sha256:<hex> <principal> <roles>'); unset runs open. Re-read when it changes. Env: OVERSEER_AUTH_TOKENS_FILE.")
  public Path authTokensFile;

  @Option(names = "--tls-cert", defaultValue = "${env:OVERSEER_TLS_CERT}", description = "Server certificate chain (PEM); with --tls-key enables TLS. Env: OVERSEER_TLS_CERT.")
  public Path tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:OVERSEER_TLS_KEY}", description = "Server private key (PKCS#8 PEM). Env: OVERSEER_TLS_KEY.")
  public Path tlsKey;

  @Option(names = "--tls-client-ca", defaultValue = "${env:OVERSEER_TLS_CLIENT_CA}", description = "CA certificates (PEM) for client certificates: enables mutual TLS, required of every client. Env: OVERSEER_TLS_CLIENT_CA.")
  public Path tlsClientCa;

  @Option(names = "--tls-client-roles", split = ",", defaultValue = "${env:OVERSEER_TLS_CLIENT_ROLES:-caller,worker}", description = "Roles of a principal named by a client certificate (when no token is sent). Env: OVERSEER_TLS_CLIENT_ROLES.")
  public java.util.List<String> tlsClientRoles;

  @Option(names = "--max-message-bytes", defaultValue = "${env:OVERSEER_MAX_MESSAGE_BYTES:-16777216}", description = "Largest inbound gRPC message. Env: OVERSEER_MAX_MESSAGE_BYTES.")
  public int maxMessageBytes;

  @Option(names = "--max-metadata-bytes", defaultValue = "${env:OVERSEER_MAX_METADATA_BYTES:-16384}", description = "Largest inbound metadata (headers). Env: OVERSEER_MAX_METADATA_BYTES.")
  public int maxMetadataBytes;

  @Option(names = "--max-concurrent-streams", defaultValue = "${env:OVERSEER_MAX_CONCURRENT_STREAMS:-10000}", description = "Concurrent calls per connection. Env: OVERSEER_MAX_CONCURRENT_STREAMS.")
  public int maxConcurrentStreams;

  @Option(names = "--max-queued-per-owner", defaultValue = "${env:OVERSEER_MAX_QUEUED_PER_OWNER:-0}", description = "Queued jobs one owner may have; 0 is unlimited. Env: OVERSEER_MAX_QUEUED_PER_OWNER.")
  public int maxQueuedPerOwner;

  @Option(names = "--metrics-port", defaultValue = "${env:OVERSEER_METRICS_PORT:--1}", description = "Port of the Prometheus endpoint /metrics; 0 picks a free one, -1 (default) serves none. Env: OVERSEER_METRICS_PORT.")
  public int metricsPort;

  @Option(names = "--log-format", defaultValue = "${env:OVERSEER_LOG_FORMAT:-text}", description = "text or json (one JSON object per line, for log shippers). Env: OVERSEER_LOG_FORMAT.")
  public String logFormat;

  @Option(names = "--log-level", defaultValue = "${env:OVERSEER_LOG_LEVEL:-info}", description = "error, warn, info, debug (debug logs every transition). Env: OVERSEER_LOG_LEVEL.")
  public String logLevel;

  @Option(names = "--max-log-bytes-per-job", defaultValue = "${env:OVERSEER_MAX_LOG_BYTES_PER_JOB:-16777216}", description = "Log bytes a job keeps (each line counts its text and stream in UTF-8, plus 16); past it its oldest lines are dropped. At least 65536. Env: OVERSEER_MAX_LOG_BYTES_PER_JOB.")
  public long maxLogBytesPerJob;

  @Option(names = "--retention", defaultValue = "${env:OVERSEER_RETENTION:-7d}", converter = DurationConverter.class, description = "Finished jobs older than this are deleted with their events and assets; 0 keeps them forever. Env: OVERSEER_RETENTION.")
  public Duration retention;

  @Option(names = "--compact-progress-after", defaultValue = "${env:OVERSEER_COMPACT_PROGRESS_AFTER:-0}", converter = DurationConverter.class, description = "Drop PROGRESS events of jobs finished longer ago than this, keeping state changes; 0 is off. Env: OVERSEER_COMPACT_PROGRESS_AFTER.")
  public Duration compactProgressAfter;

  @Option(names = "--stall-after", split = ",", defaultValue = "${env:OVERSEER_STALL_AFTER}", description = "TYPE=DURATION (or *=DURATION): a running job of that type with no progress for that long gets a STALLED event and a metric. Off by default. Env: OVERSEER_STALL_AFTER.")
  public Map<String, String> stallAfter = new LinkedHashMap<>();

  @Option(names = "--housekeeping-interval", defaultValue = "${env:OVERSEER_HOUSEKEEPING_INTERVAL:-10s}", converter = DurationConverter.class, description = "How often retention, compaction and the stall watchdog run. Env: OVERSEER_HOUSEKEEPING_INTERVAL.")
  public Duration housekeepingInterval;

  @Option(names = "--async-claim-commit", defaultValue = "${env:OVERSEER_ASYNC_CLAIM_COMMIT:-false}", description = "Answer ClaimJobs before its commit reaches disk (synchronous_commit=off for claims only): about one WAL flush less pickup latency. A database crash can then forget claims of the last moments: those jobs run again (their workers get LEASE_LOST) and watchers may have seen a claimed event that is not kept. Off by default. Env: OVERSEER_ASYNC_CLAIM_COMMIT.")
  public boolean asyncClaimCommit;

  static final long MIN_LOG_BYTES_PER_JOB = 64 * 1024;

  /** The parsed --stall-after thresholds. */
  public Map<String, Duration> stallThresholds() {
    Map<String, Duration> m = new LinkedHashMap<>();
    DurationConverter d = new DurationConverter();
    stallAfter.forEach((type, value) -> m.put(type, d.convert(value)));
    return m;
  }

  /** Parses flags (and the environment); throws CommandLine.ParameterException on bad input. */
  public static ServerConfig parse(String... args) {
    ServerConfig config = new ServerConfig();
    new CommandLine(config).parseArgs(args);
    config.validate();
    return config;
  }

  /** Checks ranges; throws IllegalArgumentException naming the flag and what to change. */
  public void validate() {
    require(port >= 0 && port <= 65535, "--port must be 0..65535, got " + port);
    require(databaseUrl == null || databaseUrl.startsWith("jdbc:postgresql:"),
        "--database-url must start with jdbc:postgresql: (e.g. jdbc:postgresql://127.0.0.1:5432/overseer?user=postgres), got " + databaseUrl);
    require(listenDatabaseUrl == null || listenDatabaseUrl.startsWith("jdbc:postgresql:"),
        "--listen-database-url must start with jdbc:postgresql: (e.g. jdbc:postgresql://127.0.0.1:5432/overseer?user=postgres), got "
            + DatabaseHandle.redact(listenDatabaseUrl));
    require(poolSize >= 2 && poolSize <= 1000, "--db-pool-size must be 2..1000, got " + poolSize);
    queueLimits.forEach((q, n) -> require(n != null && n >= 1, "--queue-limit " + q + " must be at least 1, got " + n));
    require(!cancelGrace.isNegative(), "--cancel-grace must not be negative");
    require(!stopGrace.isNegative(), "--stop-grace must not be negative");
    require(maintenanceInterval.toMillis() >= 10, "--maintenance-interval must be at least 10ms");
    require(!drainTimeout.isNegative(), "--drain-timeout must not be negative");
    require(maxPayloadBytes >= 1024, "--max-payload-bytes must be at least 1024");
    require((tlsCert == null) == (tlsKey == null), "--tls-cert and --tls-key go together: give both, or neither");
    require(tlsClientCa == null || tlsCert != null, "--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
    for (Path p : new Path[] {authTokensFile, tlsCert, tlsKey, tlsClientCa}) {
      require(p == null || java.nio.file.Files.isReadable(p), "cannot read " + p + ": check the path given to the flag");
    }
    for (String role : tlsClientRoles) {
      require(java.util.Set.of("caller", "worker", "admin").contains(role.strip().toLowerCase()),
          "--tls-client-roles takes caller, worker, admin; got " + role);
    }
    require(maxMessageBytes >= 64 * 1024, "--max-message-bytes must be at least 65536");
    require(maxMetadataBytes >= 1024, "--max-metadata-bytes must be at least 1024");
    require(maxConcurrentStreams >= 1, "--max-concurrent-streams must be at least 1");
    require(metricsPort >= -1 && metricsPort <= 65535, "--metrics-port must be -1 (off), 0 (any) or a port, got " + metricsPort);
    require(logFormat.equals("text") || logFormat.equals("json"), "--log-format must be text or json, got " + logFormat);
    require(java.util.Set.of("error", "warn", "info", "debug", "trace").contains(logLevel.toLowerCase()), "--log-level must be error, warn, info or debug, got " + logLevel);
    require(!retention.isNegative(), "--retention must not be negative (0 keeps jobs forever)");
    require(!compactProgressAfter.isNegative(), "--compact-progress-after must not be negative (0 is off)");
    require(housekeepingInterval.toMillis() >= 10, "--housekeeping-interval must be at least 10ms");
    try {
      stallThresholds().forEach((t, d) -> require(d.toMillis() >= 1, "--stall-after " + t + " must be positive"));
    } catch (CommandLine.TypeConversionException e) {
      throw new IllegalArgumentException("--stall-after: " + e.getMessage());
    }
    require(maxQueuedPerOwner >= 0, "--max-queued-per-owner must not be negative (0 is unlimited)");
    // a job always keeps its newest line: the cap must hold the largest one (16 KiB of text)
    require(maxLogBytesPerJob >= MIN_LOG_BYTES_PER_JOB,
        "--max-log-bytes-per-job must be at least " + MIN_LOG_BYTES_PER_JOB + " (64 KiB), got " + maxLogBytesPerJob);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /**
   * Reads durations with {@link io.overseer.text.Durations#parse}, the CLI's parser too: 500ms,
   * 30s, 5m, 1h30m, 7d, 1.5s, or ISO-8601 (PT30S).
   */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return io.overseer.text.Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}

package io.overseer.server;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.overseer.server.auth.AuthInterceptor;
import io.overseer.server.auth.TokenFileWatcher;
import io.overseer.server.domain.Principal;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.overseer.server.api.ErrorMappingInterceptor;
import io.overseer.server.api.JobServiceImpl;
import io.overseer.server.api.JobWatcher;
import io.overseer.server.api.Limits;
import io.overseer.server.api.LogWatcher;
import io.overseer.server.api.WorkerServiceImpl;
import io.overseer.server.core.ClaimOperations;
import io.overseer.server.core.GroupCommit;
import io.overseer.server.core.JobEndings;
import io.overseer.server.core.JobOperations;
import io.overseer.server.core.LogOperations;
import io.overseer.server.core.TransitionPublisher;
import io.overseer.server.core.WorkerOperations;
import io.overseer.server.domain.Backoff;
import io.micrometer.core.instrument.Gauge;
import io.overseer.server.maintenance.Housekeeping;
import io.overseer.server.maintenance.Maintenance;
import io.overseer.server.metrics.JobMetrics;
import io.overseer.server.metrics.LogMetrics;
import io.overseer.server.metrics.MetricsEndpoint;
import io.overseer.server.metrics.QueueDepthGauges;
import io.overseer.server.metrics.RpcMetricsInterceptor;
import io.overseer.server.store.HousekeepingRepository;
import io.overseer.server.store.StatsRepository;
import io.overseer.server.signal.Signals;
import io.overseer.server.store.AssetRepository;
import io.overseer.server.store.ClaimRepository;
import io.overseer.server.store.QueueRepository;
import io.overseer.server.store.Database;
import io.overseer.server.store.EventRepository;
import io.overseer.server.store.JobRepository;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LogRepository;
import io.overseer.server.store.NotifyRepository;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the server together, one feature at a time, and owns its lifecycle: start, then a clean
 * {@link #close()} that stops taking calls first and closes what each feature opened in the
 * reverse order of wiring.
 */
public final class OverseerServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OverseerServer.class);

  /** The node's job operations and what they share. */
  private record Operations(
      JobOperations jobs, WorkerOperations workers, ClaimOperations claims, JobEndings endings,
      TransitionPublisher publisher, LeaseRepository leases, EventRepository events, Backoff backoff) {}

  private final ServerConfig config;
  private final DatabaseHandle database;
  /** What the features opened, closed last-in first-out after the calls drained. */
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();
  private final HealthStatusManager health = new HealthStatusManager();
  private final MetricsEndpoint metricsEndpoint;
  private final Signals signals;
  private final JobWatcher watcher;
  private final Logs logs;
  private final Housekeeping housekeeping;
  private final Server server;
  private final int metricsPort;

  private OverseerServer(ServerConfig config, DatabaseHandle database, ServerBuilder<?> builder) throws IOException {
    this.config = config;
    this.database = database;
    Database db = new Database(database.pool());
    db.migrate();
    warnIfAutovacuumIsOff(db);
    metricsEndpoint = open(new MetricsEndpoint());
    metricsEndpoint.bindPool(database.pool());
    signals = new Signals(db, new NotifyRepository(), database::openDedicated);
    Operations ops = operations(db);
    watcher = watch(db, ops);
    logs = logs(db, ops);
    Maintenance maintenance = open(new Maintenance(db, ops.leases(), ops.endings(), ops.backoff(), config.maintenanceInterval, config.cancelGrace, config.stopGrace));
    housekeeping = open(housekeeping(db, ops));
    server = grpc(builder, ops);
    signals.start();
    maintenance.start();
    housekeeping.start();
    server.start();
    metricsPort = config.metricsPort < 0 ? -1 : metricsEndpoint.serve(config.host, config.metricsPort);
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("overseer.v1.JobService", ServingStatus.SERVING);
    health.setStatus("overseer.v1.WorkerService", ServingStatus.SERVING);
  }

  /** Jobs, workers, claims: the operations, their group commits and the one ending path. */
  private Operations operations(Database db) {
    JobRepository jobs = new JobRepository();
    LeaseRepository leases = new LeaseRepository();
    EventRepository events = new EventRepository();
    AssetRepository assets = new AssetRepository();
    Backoff backoff = new Backoff(ThreadLocalRandom.current());
    TransitionPublisher publisher = new TransitionPublisher(signals, new JobMetrics(metricsEndpoint.registry()));
    JobEndings endings = new JobEndings(db, leases, publisher, JobEndings.AfterTerminal.NONE);
    // group commits: two batches in the database at once, so one can fill while the other commits
    var completions = open(new GroupCommit<>(db, "CompleteJob", 256, 2, endings.batchWrite()));
    var creations = open(new GroupCommit<>(db, "CreateJob", 256, 2, JobOperations.insertAll(jobs)));
    JobOperations jobOps = new JobOperations(db, jobs, events, assets, publisher, endings, config.maxQueuedPerOwner, creations);
    WorkerOperations workerOps = new WorkerOperations(db, jobs, leases, assets, publisher, backoff, endings, completions);
    ClaimOperations claims =
        new ClaimOperations(db, new ClaimRepository(), new QueueRepository(), signals, publisher, config.queueLimits,
            Duration.ofSeconds(1), config.asyncClaimCommit);
    claims.applyConfiguredLimits();
    QueueDepthGauges depth = new QueueDepthGauges(metricsEndpoint.registry(), db, new StatsRepository(), 2_000);
    metricsEndpoint.beforeScrape(depth::refreshQuietly);
    return new Operations(jobOps, workerOps, claims, endings, publisher, leases, events, backoff);
  }

  /** WatchJob: one listener per node, fed by the signals. */
  private JobWatcher watch(Database db, Operations ops) {
    JobWatcher w = new JobWatcher(db, ops.events(), ops.jobs(), 4, 5_000);
    signals.addEventListener(w);
    Gauge.builder("overseer.watch.streams", w, JobWatcher::activeStreams)
        .description("WatchJob streams open on this node")
        .register(metricsEndpoint.registry());
    return w;
  }

  /** The node's job logs: appends and reads, and their watch streams. */
  private record Logs(LogOperations operations, LogWatcher watcher) {}

  /** AppendJobLogs, ListJobLogs and WatchJobLogs; the tail is fed log and event notices by the signals. */
  private Logs logs(Database db, Operations ops) {
    LogOperations operations =
        new LogOperations(db, new JobRepository(), new LogRepository(), ops.jobs(), signals, new LogMetrics(metricsEndpoint.registry()),
            config.maxLogBytesPerJob);
    LogWatcher w = new LogWatcher(ops.jobs(), operations, 2, 5_000);
    signals.addEventListener(w);
    Gauge.builder("overseer.log.watch.streams", w, LogWatcher::activeStreams)
        .description("WatchJobLogs streams open on this node")
        .register(metricsEndpoint.registry());
    return new Logs(operations, w);
  }

  /** Retention, progress compaction and the stall watchdog. */
  private Housekeeping housekeeping(Database db, Operations ops) {
    Housekeeping.Policy policy =
        new Housekeeping.Policy(
            config.retention.isZero() ? null : config.retention,
            config.compactProgressAfter.isZero() ? null : config.compactProgressAfter,
            config.stallThresholds(),
            250,
            Duration.ofMillis(500));
    return new Housekeeping(db, new HousekeepingRepository(), ops.publisher(), policy, config.housekeepingInterval);
  }

  /** The gRPC services behind their interceptors, health and reflection. */
  private Server grpc(ServerBuilder<?> builder, Operations ops) throws IOException {
    RpcMetricsInterceptor rpcMetrics = new RpcMetricsInterceptor(metricsEndpoint.registry());
    Limits limits = new Limits(config.maxPayloadBytes);
    ErrorMappingInterceptor errors = new ErrorMappingInterceptor();
    TokenFileWatcher tokens = config.authTokensFile == null ? null : open(new TokenFileWatcher(config.authTokensFile, 2_000));
    AuthInterceptor auth = new AuthInterceptor(() -> tokens == null ? null : tokens.get(), certificateRoles(config));
    if (tokens == null && config.tlsClientCa == null) {
      log.warn("running open: no --auth-tokens-file, so every caller is 'anonymous' with every role");
    }
    // interceptors run last-added first: auth, then error mapping around the service
    return builder
        .addService(ServerInterceptors.intercept(
            new JobServiceImpl(ops.jobs(), watcher, logs.operations(), logs.watcher(), limits), errors, auth, rpcMetrics))
        .addService(ServerInterceptors.intercept(
            new WorkerServiceImpl(ops.workers(), ops.claims(), logs.operations(), limits), errors, auth, rpcMetrics))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(ProtoReflectionService.newInstance())
        .build();
  }

  private static void warnIfAutovacuumIsOff(Database db) {
    if (!db.autocommit(new StatsRepository()::autovacuumEnabled)) {
      log.warn("autovacuum is off on this database: the jobs table will bloat and claims slow down;"
          + " turn it on (see docs/operations.md)");
    }
  }

  /** Registers what a feature opened, to be closed in reverse order. */
  private <T extends AutoCloseable> T open(T closeable) {
    opened.push(closeable);
    return closeable;
  }

  /** Starts on Netty at {@code config.host:config.port}, with TLS and the transport limits. */
  public static OverseerServer start(ServerConfig config) throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host, config.port))
            .maxInboundMessageSize(config.maxMessageBytes)
            .maxInboundMetadataSize(config.maxMetadataBytes)
            .maxConcurrentCallsPerConnection(config.maxConcurrentStreams)
            .keepAliveTime(2, TimeUnit.MINUTES)
            .keepAliveTimeout(20, TimeUnit.SECONDS)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxConnectionIdle(1, TimeUnit.HOURS);
    if (config.tlsCert != null) {
      SslContextBuilder ssl = GrpcSslContexts.forServer(config.tlsCert.toFile(), config.tlsKey.toFile());
      if (config.tlsClientCa != null) {
        ssl.trustManager(config.tlsClientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      builder.sslContext(ssl.build());
    }
    return start(config, builder);
  }

  /** Starts with the given transport (tests pass an in-process builder). */
  public static OverseerServer start(ServerConfig config, ServerBuilder<?> builder) throws IOException {
    DatabaseHandle database = DatabaseHandle.open(config);
    try {
      return new OverseerServer(config, database, builder);
    } catch (IOException | RuntimeException e) {
      database.close();
      throw e;
    }
  }

  private static java.util.Set<Principal.Role> certificateRoles(ServerConfig config) {
    if (config.tlsClientCa == null) {
      return null;
    }
    java.util.Set<Principal.Role> roles = java.util.EnumSet.noneOf(Principal.Role.class);
    config.tlsClientRoles.forEach(r -> roles.add(Principal.Role.valueOf(r.strip().toUpperCase(java.util.Locale.ROOT))));
    return roles;
  }

  public int port() {
    return server.getPort();
  }

  /** The bound /metrics port, or -1 when metrics are not served. */
  public int metricsPort() {
    return metricsPort;
  }

  /** Runs retention, compaction and the stall watchdog now (tests, tools). */
  public int housekeepNow() {
    return housekeeping.tick();
  }

  public String databaseDescription() {
    return database.description();
  }

  public int activeWatchStreams() {
    return watcher.activeStreams();
  }

  /** WatchJobLogs streams open on this node. */
  public int activeLogStreams() {
    return logs.watcher().activeStreams();
  }

  /**
   * Stops accepting calls, returns long-polls empty, ends watch streams UNAVAILABLE, gives unary
   * calls the drain timeout, then closes what the features opened (last first), the pool and the
   * embedded database. Running jobs are left to their workers, whose heartbeats any other node
   * accepts.
   */
  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    signals.close();
    watcher.close();
    logs.watcher().close();
    try {
      if (!server.awaitTermination(config.drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("calls still running after the drain timeout ({}); cancelling them", config.drainTimeout);
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    while (!opened.isEmpty()) {
      AutoCloseable c = opened.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
    try {
      database.close();
    } catch (IOException e) {
      log.warn("closing the database: {}", e.toString());
    }
  }
}

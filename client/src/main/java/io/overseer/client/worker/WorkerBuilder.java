package io.overseer.client.worker;

import io.overseer.client.OverseerClient;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/** Configures a {@link Worker}. At least one handler is required. */
public final class WorkerBuilder {
  private OverseerClient client;
  private String target;
  private String token;
  private String workerId;
  private final List<String> queues = new ArrayList<>();
  private final Map<String, JobHandler> handlers = new LinkedHashMap<>();
  private int concurrency = 1;
  private int prefetch = 0;
  private Duration leaseDuration = Duration.ofSeconds(30);
  private Duration heartbeatInterval;
  private Duration progressInterval = Duration.ofMillis(250);
  private Duration logInterval = Duration.ofSeconds(1);
  private Duration claimWait = Duration.ofSeconds(10);
  private Duration shutdownTimeout = Duration.ofSeconds(30);
  private WorkerListener listener = new WorkerListener() {};

  WorkerBuilder() {}

  /** The client to call the server with; the worker does not close it. */
  public WorkerBuilder client(OverseerClient client) {
    this.client = client;
    return this;
  }

  /** Instead of {@link #client}: the worker builds (and closes) its own plaintext client. */
  public WorkerBuilder target(String target) {
    this.target = target;
    return this;
  }

  /** The bearer token for the client the worker builds from {@link #target}. */
  public WorkerBuilder token(String token) {
    this.token = token;
    return this;
  }

  /** Defaults to {@code <hostname>-<pid>-<random>}. */
  public WorkerBuilder workerId(String workerId) {
    this.workerId = workerId;
    return this;
  }

  /** Queues to claim from; none means every queue. */
  public WorkerBuilder queues(String... queues) {
    return queues(List.of(queues));
  }

  public WorkerBuilder queues(List<String> queues) {
    this.queues.clear();
    queues.stream().filter(q -> q != null && !q.isBlank()).forEach(this.queues::add);
    return this;
  }

  /**
   * Handlers run at once (1). A worker holds at most {@code 2 * (concurrency + prefetch)}
   * leases: the jobs it may hold claimed (running or waiting, see {@link #prefetch}) and as many
   * whose outcome is being reported.
   */
  public WorkerBuilder concurrency(int concurrency) {
    if (concurrency < 1 || concurrency > 1000) {
      throw new IllegalArgumentException("concurrency must be 1..1000");
    }
    this.concurrency = concurrency;
    return this;
  }

  /**
   * Jobs claimed ahead of a free handler (0): they wait, leased and heartbeated, in claim order
   * and start the moment a handler returns, so a handler does not wait for a claim round trip and
   * claims come in bigger batches. The cost: a job waits here for a handler of this worker while
   * another worker may be idle, so keep it 0 for long jobs; for many short jobs, up to
   * {@code concurrency} pays. It also lets as many more reports be out at once (see {@link
   * #concurrency}), so that handlers freed at once are not held back by report round trips.
   */
  public WorkerBuilder prefetch(int prefetch) {
    if (prefetch < 0 || prefetch > 1000) {
      throw new IllegalArgumentException("prefetch must be 0..1000");
    }
    this.prefetch = prefetch;
    return this;
  }

  /** Lease asked for on claim and on each heartbeat (30 s; the server accepts 1 s..1 h). */
  public WorkerBuilder leaseDuration(Duration leaseDuration) {
    this.leaseDuration = Objects.requireNonNull(leaseDuration);
    return this;
  }

  /**
   * Time between heartbeats of a running job (a third of the lease duration); at most 1 s while
   * a job serves (see {@link JobContext#serving}), so that a stop request reaches it soon.
   */
  public WorkerBuilder heartbeatInterval(Duration interval) {
    this.heartbeatInterval = interval;
    return this;
  }

  /** Minimum time between heartbeats sent for progress reports (250 ms). */
  public WorkerBuilder progressInterval(Duration interval) {
    this.progressInterval = Objects.requireNonNull(interval);
    return this;
  }

  /**
   * The longest a job's log line waits to be sent when its batch is not full (1 s; never more
   * than the heartbeat interval); see {@link JobContext#log(String, String)}.
   */
  public WorkerBuilder logInterval(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("logInterval must be positive");
    }
    this.logInterval = interval;
    return this;
  }

  /** Long-poll time of each claim when no job is ready (10 s; at most 60 s). */
  public WorkerBuilder claimWait(Duration wait) {
    this.claimWait = Objects.requireNonNull(wait);
    return this;
  }

  /** How long {@link Worker#close()} lets running jobs finish before interrupting them (30 s). */
  public WorkerBuilder shutdownTimeout(Duration timeout) {
    this.shutdownTimeout = Objects.requireNonNull(timeout);
    return this;
  }

  /** Runs jobs of {@code type} with {@code handler}; the worker claims only handled types. */
  public WorkerBuilder handler(String type, JobHandler handler) {
    handlers.put(Objects.requireNonNull(type, "type"), Objects.requireNonNull(handler, "handler"));
    return this;
  }

  /** Told about every job started and finished. */
  public WorkerBuilder listener(WorkerListener listener) {
    this.listener = Objects.requireNonNull(listener);
    return this;
  }

  public Worker build() {
    if (handlers.isEmpty()) {
      throw new IllegalStateException("a worker needs at least one handler");
    }
    if (leaseDuration.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("leaseDuration must be at least 1 s");
    }
    if (claimWait.isNegative() || claimWait.compareTo(Duration.ofSeconds(60)) > 0) {
      throw new IllegalArgumentException("claimWait must be 0..60 s");
    }
    Duration beat = heartbeatInterval != null ? heartbeatInterval : leaseDuration.dividedBy(3);
    WorkerSettings settings =
        new WorkerSettings(
            workerId != null && !workerId.isBlank() ? workerId : defaultWorkerId(),
            List.copyOf(queues),
            List.copyOf(handlers.keySet()),
            concurrency,
            prefetch,
            leaseDuration,
            beat,
            progressInterval,
            logInterval,
            claimWait,
            shutdownTimeout);
    boolean owns = client == null;
    OverseerClient c = client;
    if (owns) {
      c = OverseerClient.builder()
          .target(target != null ? target : "localhost:50051")
          .token(token)
          .build();
    }
    return new Worker(c, owns, settings, handlers, listener);
  }

  static String defaultWorkerId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        host = "worker";
      }
    }
    return host + "-" + ProcessHandle.current().pid() + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
  }
}

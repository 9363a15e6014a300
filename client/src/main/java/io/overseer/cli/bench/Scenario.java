package io.overseer.cli.bench;

import io.overseer.cli.ConnectionOptions;
import io.overseer.cli.OutputOptions;
import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every bench scenario shares: the connection and output options, {@code --type}, {@code
 * --queue}, {@code --metrics}; draining jobs left on the queue; waiting with a stall check; and
 * printing the report.
 */
abstract class Scenario implements Callable<Integer> {
  /** How long a wait may go without progress before the scenario gives up. */
  static final Duration STALL = Duration.ofSeconds(60);

  @Mixin ConnectionOptions connection;
  @Mixin OutputOptions output;
  @Spec CommandSpec spec;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "bench",
      description = "Job type created and served (by a no-op handler) [${DEFAULT-VALUE}].")
  String type;

  @Option(names = "--queue", paramLabel = "QUEUE", defaultValue = "bench",
      description = "Queue used [${DEFAULT-VALUE}].")
  String queue;

  @Option(names = "--metrics", paramLabel = "URL", defaultValue = "${env:OVERSEER_METRICS_URL}",
      description = "The server's Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics (the"
          + " server's --metrics-port), for its CPU and heap (env OVERSEER_METRICS_URL).")
  String metricsUrl;

  @Option(names = "--save", paramLabel = "FILE",
      description = "Also write the JSON document to FILE (whatever --output says).")
  java.nio.file.Path save;

  /** The scenario's name, as on the command line. */
  abstract String name();

  /** Checks the options; throws {@link UsageException}. */
  void validate() {}

  /** Runs the measurement, filling in the report's settings, phases and headline. */
  abstract void run(OverseerClient client, ServerMetrics metrics, BenchReport report)
      throws Exception;

  /** After the run and its server figures: e.g. removing what it left. */
  void cleanup(OverseerClient client, BenchReport report) throws Exception {}

  @Override
  public final Integer call() throws Exception {
    quietWorkerLogs();
    validate();
    try (OverseerClient client = connection.connect();
        ServerMetrics metrics = ServerMetrics.open(metricsUrl)) {
      long leftovers = drain(client, "left over from an earlier run");
      BenchReport report = new BenchReport(name(), connection.target());
      report.settings.put("type", type);
      report.settings.put("queue", queue);
      if (leftovers > 0) {
        report.notes.add("drained " + leftovers + " queued job(s) of type " + type + " on queue "
            + queue + " left from an earlier run before measuring");
      }
      ServerMetrics.Window whole = metrics.begin();
      run(client, metrics, report);
      report.server = whole.end();
      if (metrics.problem() != null && metricsUrl != null && !metricsUrl.isBlank()) {
        report.notes.add("server figures n/a: " + metrics.problem());
      }
      cleanup(client, report);
      print(report);
      if (report.errors > 0) {
        err().println("error: " + report.errors + " call(s) or job(s) failed during the run;"
            + " see the report");
        err().flush();
        return 4;
      }
      return 0;
    }
  }

  private void print(BenchReport report) throws java.io.IOException {
    PrintWriter out = out();
    if (output.json()) {
      out.println(Json.write(report.toJson()));
    } else {
      report.tableLines().forEach(out::println);
    }
    out.flush();
    if (save != null) {
      java.nio.file.Files.writeString(save, Json.write(report.toJson()) + "\n");
    }
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A progress line on stderr (so it never mixes with the JSON on stdout). */
  void progress(String line) {
    err().println("bench " + name() + ": " + line);
    err().flush();
  }

  /** A new client with its own channel (TCP connection). */
  OverseerClient connect() {
    return connection.connect();
  }

  CreateJobRequest createRequest() {
    return CreateJobRequest.newBuilder().setType(type).setQueue(queue).build();
  }

  /**
   * Creates {@code count} jobs with BatchCreateJobs calls of {@code batch} (sequentially) and
   * returns their ids.
   */
  List<String> enqueue(OverseerClient client, int count, int batch) {
    List<String> ids = new ArrayList<>(count);
    CreateJobRequest request = createRequest();
    while (ids.size() < count) {
      int n = Math.min(batch, count - ids.size());
      List<CreateJobRequest> requests = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        requests.add(request);
      }
      for (Job job : client.batchCreate(requests)) {
        ids.add(job.getId());
      }
    }
    return ids;
  }

  /**
   * Runs every claimable job of our type on our queue with no-op workers (4 workers, 32 in
   * flight) until none is left, untimed; returns how many ran.
   */
  long drain(OverseerClient client, String why) throws InterruptedException {
    if (!anyQueued(client)) {
      return 0;
    }
    AtomicLong done = new AtomicLong();
    long started = System.nanoTime();
    progress("draining queued jobs of type " + type + " on queue " + queue + " (" + why + ")");
    WorkerListener counter = new WorkerListener() {
      @Override
      public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable e) {
        done.incrementAndGet();
      }
    };
    try (WorkerPool pool = new WorkerPool(this::connect, 4, 32, c -> 0, queue, type, ctx -> null,
        counter).start()) {
      long lastDone = -1;
      long lastProgress = System.nanoTime();
      int idleChecks = 0;
      while (idleChecks < 2) { // twice in a row: not fooled by a claim in flight
        Thread.sleep(500);
        boolean idle = pool.activeJobs() == 0 && !anyQueued(client);
        idleChecks = idle ? idleChecks + 1 : 0;
        if (done.get() != lastDone) {
          lastDone = done.get();
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
          throw new IllegalStateException("draining queue " + queue + " stalled: no job"
              + " finished for " + STALL.toSeconds() + " s (jobs waiting for a retry backoff?)");
        }
      }
    }
    progress("drained " + done.get() + " job(s) in "
        + BenchReport.fixed((System.nanoTime() - started) / 1e9, 1) + " s");
    return done.get();
  }

  private boolean anyQueued(OverseerClient client) {
    return client.listPage(ListJobsRequest.newBuilder()
            .addStates(JobState.JOB_STATE_QUEUED)
            .setQueue(queue)
            .setType(type)
            .setPageSize(1)
            .build())
        .getJobsCount() > 0;
  }

  /**
   * Waits until {@code done} reaches {@code target}; fails if it stops moving for {@link
   * #STALL}. Polls every 5 ms: measurements use their own stamps, never this loop's timing.
   */
  void await(String what, LongSupplier done, long target) throws InterruptedException {
    long last = -1;
    long lastMove = System.nanoTime();
    while (true) {
      long now = done.getAsLong();
      if (now >= target) {
        return;
      }
      if (now != last) {
        last = now;
        lastMove = System.nanoTime();
      } else if (System.nanoTime() - lastMove > STALL.toNanos()) {
        throw new IllegalStateException(what + " stalled at " + now + "/" + target + ": nothing"
            + " happened for " + STALL.toSeconds() + " s");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /** Keeps the Worker runtime's start/stop lines (one per worker) off the bench's output. */
  private static void quietWorkerLogs() {
    String key = "org.slf4j.simpleLogger.log.io.overseer.client.worker";
    if (System.getProperty(key) == null) {
      System.setProperty(key, "warn");
    }
  }

  static void requirePositive(String option, long value) {
    if (value < 1) {
      throw new UsageException(option + " must be at least 1, got " + value);
    }
  }

  /** Counts failures, keeping the first one for the report. */
  static final class Errors {
    private final AtomicLong count = new AtomicLong();
    private volatile String first;

    void add(Throwable t) {
      if (count.incrementAndGet() == 1) {
        OverseerException e = OverseerException.from(t);
        first = e.code() + ": " + e.description()
            + (e.reason().isEmpty() ? "" : " (" + e.reason() + ")");
      }
    }

    long count() {
      return count.get();
    }

    /** Adds the count to the report, and the first error as a note. */
    void into(BenchReport report, String what) {
      if (count.get() > 0) {
        report.errors += count.get();
        report.notes.add(count.get() + " " + what + " failed; the first: " + first);
      }
    }
  }
}

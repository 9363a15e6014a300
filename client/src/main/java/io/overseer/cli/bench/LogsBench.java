package io.overseer.cli.bench;

import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.Worker;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.LogLine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Whether appending logs slows the processing of other jobs: {@code process} rounds without
 * logs, with --loggers other jobs each logging --lines-per-second through the Worker runtime
 * (ctx.log, batched as it batches), and without again, in one run; the headline is the round with
 * logs, compared with the mean of the two without.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    defaultValueProvider = LogsBench.Defaults.class,
    description = {
      "Processing throughput beside log appends: a process round (--jobs no-op jobs, the largest"
          + " --in-flight) without logs, one while --loggers other jobs each log --lines-per-second"
          + " lines of --line-chars through the Worker runtime (ctx.log: batched, one AppendJobLogs"
          + " in flight per job), and one without again. Reports each round's jobs/s, the ratio of"
          + " the round with logs to the mean of the two without (the goal: at least 0.90), and"
          + " the lines appended per second.",
      "Every logged line is checked to be stored (its last sequence) after the loggers finish."
    })
final class LogsBench extends ProcessBench {
  /**
   * Rounds of 60,000 jobs rather than process's 20,000: at about 7,000 jobs/s here a round of
   * 20,000 lasts 3 s, too short to tell a 10% difference through this machine's noise (measured:
   * the same two rounds without logs 23% apart).
   */
  static final class Defaults implements CommandLine.IDefaultValueProvider {
    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
      return arg.isOption() && ((CommandLine.Model.OptionSpec) arg).longestName().equals("--jobs") ? "60000" : null;
    }
  }

  @Option(names = "--loggers", paramLabel = "L", defaultValue = "32",
      description = "Jobs appending logs beside the processed ones [${DEFAULT-VALUE}].")
  int loggers;

  @Option(names = "--lines-per-second", paramLabel = "R", defaultValue = "200",
      description = "Lines each logging job logs per second, evenly paced [${DEFAULT-VALUE}].")
  int linesPerSecond;

  @Option(names = "--line-chars", paramLabel = "C", defaultValue = "100",
      description = "Characters per line (ASCII) [${DEFAULT-VALUE}].")
  int lineChars;

  @Override
  String name() {
    return "logs";
  }

  @Override
  void validate() {
    super.validate();
    requirePositive("--loggers", loggers);
    requirePositive("--lines-per-second", linesPerSecond);
    if (loggers > 1000) {
      throw new UsageException("--loggers must be 1..1000");
    }
    if (linesPerSecond > 100_000) {
      throw new UsageException("--lines-per-second must be 1..100000");
    }
    if (lineChars < 1 || lineChars > 16 * 1024) {
      throw new UsageException("--line-chars must be 1..16384");
    }
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    recordSettings(report);
    int j = inFlight.stream().max(Integer::compare).orElseThrow();
    report.settings.put("in_flight", j);
    report.settings.put("loggers", loggers);
    report.settings.put("lines_per_second_per_logger", linesPerSecond);
    report.settings.put("line_chars", lineChars);
    if (warmupJobs > 0) {
      try (Loggers warm = new Loggers(report)) { // the JIT sees the log path too
        warmUp(client, metrics, report, j);
      }
    }
    BenchReport.Phase before = round(client, metrics, report, j, jobs, " without logs");
    BenchReport.Phase with;
    double appendRate;
    long lines;
    try (Loggers logging = new Loggers(report)) {
      long startLines = logging.logged.get();
      long start = System.nanoTime();
      with = round(client, metrics, report, j, jobs, " with logs");
      lines = logging.logged.get() - startLines;
      appendRate = lines / ((System.nanoTime() - start) / 1e9);
    }
    BenchReport.Phase after = round(client, metrics, report, j, jobs, " without logs, again");
    report.headline = with;
    double without = (before.jobsPerSecond() + after.jobsPerSecond()) / 2;
    double ratio = with.jobsPerSecond() / without;
    with.extra.put("logging_jobs", loggers);
    with.extra.put("lines_appended", lines);
    with.extra.put("append_lines_per_second", appendRate);
    with.extra.put("ratio_to_without_logs", ratio);
    report.notes.add(String.format(Locale.ROOT,
        "with %d jobs logging %d lines/s each (%.0f lines/s appended): %.1f jobs/s, %.2f× the mean of the rounds without"
            + " logs (%.1f and %.1f jobs/s); the goal is at least 0.90×: %s",
        loggers, linesPerSecond, appendRate, with.jobsPerSecond(), ratio, before.jobsPerSecond(), after.jobsPerSecond(),
        ratio >= 0.90 ? "met" : "not met"));
  }

  /**
   * {@link #loggers} jobs, created on their own queue and type and run by one Worker runtime with
   * its own connection, each logging at the paced rate until {@link #close()}; then each job's
   * stored lines are checked against what it logged.
   */
  private final class Loggers implements AutoCloseable {
    final AtomicLong logged = new AtomicLong();
    private final Map<String, AtomicLong> perJob = new ConcurrentHashMap<>();
    private final AtomicBoolean logging = new AtomicBoolean(true);
    private final AtomicLong finished = new AtomicLong();
    private final Errors errors = new Errors();
    private final BenchReport report;
    private final OverseerClient client;
    private final Worker worker;
    private final String padding = "x".repeat(Math.max(0, lineChars - 12));

    Loggers(BenchReport report) throws InterruptedException {
      this.report = report;
      this.client = connect();
      String logQueue = queue + "-logs";
      String logType = type + "-logger";
      this.worker = Worker.builder()
          .client(client)
          .workerId("bench-logger-" + ProcessHandle.current().pid())
          .queues(logQueue)
          .concurrency(loggers)
          .claimWait(Duration.ofSeconds(1))
          .shutdownTimeout(Duration.ofSeconds(10))
          .handler(logType, this::log)
          .listener(new WorkerListener() {
            @Override
            public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable e) {
              if (outcome != JobOutcome.COMPLETED) {
                errors.add(new IllegalStateException("logging job " + job.jobId() + " ended " + outcome));
              }
              finished.incrementAndGet();
            }
          })
          .build()
          .start();
      List<CreateJobRequest> requests = new ArrayList<>();
      for (int i = 0; i < loggers; i++) {
        requests.add(CreateJobRequest.newBuilder().setType(logType).setQueue(logQueue).build());
      }
      client.batchCreate(requests);
      await("starting the logging jobs", perJob::size, loggers);
    }

    /** Logs evenly paced lines until told to stop. */
    private JobResult log(JobContext ctx) {
      AtomicLong mine = new AtomicLong();
      perJob.put(ctx.jobId(), mine);
      long period = 1_000_000_000L / linesPerSecond;
      long next = System.nanoTime();
      while (logging.get() && !ctx.isCancelled()) {
        ctx.log(String.format(Locale.ROOT, "line %06d ", mine.incrementAndGet()) + padding);
        logged.incrementAndGet();
        next += period;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      return JobResult.empty();
    }

    /** Stops the loggers (their last lines are flushed as their jobs complete) and checks what was stored. */
    @Override
    public void close() throws InterruptedException {
      logging.set(false);
      try {
        await("the logging jobs' completions", finished::get, loggers);
        for (Map.Entry<String, AtomicLong> job : perJob.entrySet()) {
          long n = job.getValue().get();
          List<LogLine> last = client.listJobLogsPage(ListJobLogsRequest.newBuilder().setId(job.getKey())
              .setAfterSequence(n - 1).setPageSize(2).build()).getLinesList();
          boolean stored = last.size() == 1 && last.get(0).getSequence() == n
              && last.get(0).getText().startsWith(String.format(Locale.ROOT, "line %06d", n));
          if (!stored) {
            errors.add(new IllegalStateException("logging job " + job.getKey() + " logged " + n
                + " lines, but its stored log ends " + (last.isEmpty() ? "before" : "at " + last.get(last.size() - 1).getSequence())));
          }
        }
      } finally {
        errors.into(report, "logging job(s)");
        worker.shutdown(Duration.ofSeconds(10));
        client.close();
      }
    }
  }
}

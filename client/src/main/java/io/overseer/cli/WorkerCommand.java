package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.Worker;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.Job;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a worker until SIGINT/SIGTERM, then finish running jobs (up to --shutdown-timeout).",
      "Only the built-in handlers run from here (--demo): type 'demo', params steps [10],"
          + " step_ms [300], fail (fails at the middle step), partial (ends PARTIAL); and type"
          + " 'demo-service', an HTTP server on a free local port that answers GET / with the job"
          + " id until 'overseer stop ID'. Write real workers with io.overseer.client.worker.Worker.",
      "Prints a line per job started and finished (JSON lines with --output json)."
    })
final class WorkerCommand extends ServerCommand {
  @Option(names = "--demo",
      description = "Serve jobs of types demo and demo-service with the built-in handlers.")
  boolean demo;

  @Option(names = "--queue", paramLabel = "QUEUE", split = ",",
      description = "Queue to serve; repeatable (default: every queue).")
  List<String> queues = new ArrayList<>();

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "4",
      description = "Jobs run at once [${DEFAULT-VALUE}].")
  int concurrency;

  @Option(names = "--worker-id", paramLabel = "ID", description = "Default: host-pid-random.")
  String workerId;

  @Option(names = "--lease", paramLabel = "DURATION", defaultValue = "30s",
      converter = DurationConverter.class, description = "Lease duration [${DEFAULT-VALUE}].")
  Duration lease;

  @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "30s",
      converter = DurationConverter.class,
      description = "On a signal, how long running jobs may finish [${DEFAULT-VALUE}].")
  Duration shutdownTimeout;

  @Override
  int run(OverseerClient client) throws InterruptedException {
    if (!demo) {
      throw new UsageException("only the built-in demo handler runs from the command line: add"
          + " --demo (write other workers with io.overseer.client.worker.Worker)");
    }
    if (concurrency < 1 || concurrency > 1000) {
      throw new UsageException("--concurrency must be 1..1000");
    }
    Worker worker =
        Worker.builder()
            .client(client)
            .workerId(workerId)
            .queues(queues)
            .concurrency(concurrency)
            .leaseDuration(lease)
            .shutdownTimeout(shutdownTimeout)
            .handler(DemoHandler.TYPE, new DemoHandler())
            .handler(DemoServiceHandler.TYPE, new DemoServiceHandler())
            .listener(new Printer(out(), output.json()))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    // The JVM runs this on SIGINT/SIGTERM and exits when it returns: the graceful part.
    Thread hook = new Thread(() -> {
      if (!output.json()) {
        out().println("stopping: letting " + worker.activeJobs() + " running job(s) finish (up to "
            + Texts.duration(shutdownTimeout) + "; services are handed back)");
        out().flush();
      }
      worker.shutdown(shutdownTimeout);
      client.close(); // graceful: what is still in flight (the claim's cancel) goes out first
      if (!output.json()) {
        out().println("worker " + worker.workerId() + " stopped");
        out().flush();
      }
      stopped.countDown();
    }, "overseer-worker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    worker.start();
    if (!output.json()) {
      out().println("worker " + worker.workerId() + " serving types demo, demo-service on "
          + (queues.isEmpty() ? "every queue" : "queue(s) " + String.join(",", queues))
          + " at " + target() + ", concurrency " + concurrency + " (Ctrl-C to stop)");
      out().flush();
    }
    try {
      stopped.await();
    } catch (InterruptedException e) { // run from a thread (tests): the same shutdown, now
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
        hook.run();
      } catch (IllegalStateException jvmExiting) {
        // the hook is running already
      }
      throw e;
    }
    return 0;
  }

  /** One line per job started and finished. */
  private static final class Printer implements WorkerListener {
    private final PrintWriter out;
    private final boolean json;
    private final Map<String, Long> startNanos = new ConcurrentHashMap<>();

    Printer(PrintWriter out, boolean json) {
      this.out = out;
      this.json = json;
    }

    @Override
    public void jobStarted(JobContext job) {
      startNanos.put(job.jobId(), System.nanoTime());
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("event", "started");
      line.put("job_id", job.jobId());
      line.put("type", job.type());
      line.put("attempt", job.attempt());
      print(line, "started   " + job.jobId() + "  " + job.type() + "  attempt " + job.attempt()
          + "/" + job.job().getMaxAttempts());
    }

    @Override
    public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable error) {
      Long started = startNanos.remove(job.jobId());
      Duration took = Duration.ofNanos(started == null ? 0 : System.nanoTime() - started);
      String detail = finalJob.getErrorMessage();
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("event", "finished");
      line.put("job_id", job.jobId());
      line.put("outcome", outcome.name());
      line.put("seconds", took.toMillis() / 1000.0);
      if (!detail.isEmpty()) {
        line.put("error", detail);
      }
      print(line, "finished  " + job.jobId() + "  " + outcome.name().toLowerCase(Locale.ROOT)
          + "  " + Texts.duration(took) + (detail.isEmpty() ? "" : "  " + detail));
    }

    private void print(Map<String, Object> json, String text) {
      synchronized (out) {
        out.println(this.json ? Structs.toJson(Structs.toStruct(json)) : text);
        out.flush();
      }
    }
  }
}

package io.overseer.cli.bench;

import io.overseer.cli.DurationConverter;
import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Producers and workers together in a steady state: C producers call CreateJob (each call
 * awaited; at a fixed total rate, or as fast as the backlog allows) while W workers with J in
 * flight run the jobs. After a warm-up, the jobs completed within --duration give the rate.
 */
@Command(
    name = "e2e",
    mixinStandardHelpOptions = true,
    description = {
      "Producers and workers together, steady state: --concurrency producers call CreateJob"
          + " (each call awaited) while --workers Worker runtimes with --in-flight jobs in flight"
          + " run them. With --rate 0 (default) producers go as fast as they can while fewer than"
          + " --max-backlog jobs are unfinished, so the rate is what the whole loop sustains.",
      "Measured over --duration after --warmup: jobs completed per second; latency per job"
          + " from CreateJob returning to its CompleteJob acknowledged."
    })
final class E2eBench extends Scenario {
  @Mixin PrefetchOption prefetch;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "30s",
      converter = DurationConverter.class, description = "Measured time [${DEFAULT-VALUE}].")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "D", defaultValue = "5s",
      converter = DurationConverter.class, description = "Unmeasured time first [${DEFAULT-VALUE}].")
  Duration warmup;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "8",
      description = "Producer threads, each awaiting its CreateJob [${DEFAULT-VALUE}].")
  int producers;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
      description = "Jobs created per second in total; 0: as fast as possible [${DEFAULT-VALUE}].")
  double rate;

  @Option(names = "--max-backlog", paramLabel = "N", defaultValue = "0",
      description = "Producers wait while this many jobs are unfinished; 0: 4 x --in-flight"
          + " [${DEFAULT-VALUE}]. The pickup latency of a full backlog is about its size over"
          + " the rate, so a large one measures the backlog more than the server.")
  int maxBacklog;

  @Option(names = "--in-flight", paramLabel = "J", defaultValue = "32",
      description = "Jobs in flight over all workers [${DEFAULT-VALUE}].")
  int inFlight;

  @Option(names = "--workers", paramLabel = "W", defaultValue = "0",
      description = "Worker runtimes; 0: one per 32 in flight, as the peers run one process [${DEFAULT-VALUE}].")
  int workers;

  @Override
  String name() {
    return "e2e";
  }

  @Override
  void validate() {
    prefetch.validate();
    requirePositive("--concurrency", producers);
    requirePositive("--in-flight", inFlight);
    if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
      throw new UsageException("--duration must be positive and --warmup not negative");
    }
    if (rate < 0 || workers < 0 || maxBacklog < 0 || workers() > inFlight) {
      throw new UsageException("--rate, --workers and --max-backlog must not be negative, and"
          + " --workers not more than --in-flight");
    }
  }

  private int workers() {
    return workers > 0 ? workers : WorkerPool.autoWorkers(inFlight);
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    int w = workers();
    int backlogCap = maxBacklog > 0 ? maxBacklog : 4 * inFlight;
    report.settings.put("duration_s", duration.toMillis() / 1000.0);
    report.settings.put("warmup_s", warmup.toMillis() / 1000.0);
    report.settings.put("producers", producers);
    report.settings.put("rate", rate > 0 ? rate : "max");
    report.settings.put("max_backlog", backlogCap);
    report.settings.put("in_flight", inFlight);
    report.settings.put("prefetch", prefetch.setting());
    report.settings.put("workers", w);
    report.latencyOf = "per job, from CreateJob returning to its CompleteJob acknowledged";

    long start = System.nanoTime();
    long from = start + warmup.toNanos();
    long until = from + duration.toNanos();
    Samples endToEnd = new Samples();
    Samples pickup = new Samples();
    Samples createCalls = new Samples();
    Rendezvous e2e = new Rendezvous(endToEnd);
    Rendezvous pickups = new Rendezvous(pickup);
    e2e.window(from, until);
    pickups.window(from, until);
    Errors errors = new Errors();
    AtomicLong created = new AtomicLong();
    AtomicLong createdInWindow = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    AtomicLong completedInWindow = new AtomicLong();
    AtomicLong tickets = new AtomicLong();
    Semaphore backlog = new Semaphore(backlogCap);
    CreateJobRequest request = createRequest();
    JobHandler handler = ctx -> {
      pickups.to(ctx.jobId(), System.nanoTime());
      return null;
    };
    WorkerListener listener = new WorkerListener() {
      @Override
      public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable e) {
        long now = System.nanoTime();
        if (outcome == JobOutcome.COMPLETED) {
          e2e.to(job.jobId(), now);
          if (now >= from && now <= until) {
            completedInWindow.incrementAndGet();
          }
        } else {
          errors.add(new IllegalStateException("job " + job.jobId() + " ended " + outcome));
        }
        finished.incrementAndGet();
        backlog.release();
      }
    };
    BenchReport.Phase phase = report.phase("steady");
    report.headline = phase;
    progress(producers + " producer(s) and " + w + " worker(s) with " + inFlight
        + " in flight: " + (warmup.toMillis() / 1000.0) + " s warm-up, then "
        + (duration.toMillis() / 1000.0) + " s measured");
    long backlogAtStart;
    long backlogAtEnd;
    try (WorkerPool pool =
        new WorkerPool(this::connect, w, inFlight,
            prefetch::forWorker, queue, type, handler, listener).start()) {
      stopping = false;
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < producers; i++) {
        Thread t = new Thread(() -> {
          while (!stopping && errors.count() < 100) {
            try {
              if (!backlog.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
              }
            } catch (InterruptedException e) {
              return;
            }
            if (rate > 0) {
              long due = start + (long) (tickets.getAndIncrement() * 1e9 / rate);
              for (long d = due - System.nanoTime(); d > 0; d = due - System.nanoTime()) {
                LockSupport.parkNanos(d);
              }
            }
            long t0 = System.nanoTime();
            try {
              Job job = client.create(request);
              long now = System.nanoTime();
              e2e.from(job.getId(), now);
              pickups.from(job.getId(), now);
              created.incrementAndGet();
              if (now >= from && now <= until) {
                createCalls.add(now - t0);
                createdInWindow.incrementAndGet();
              }
            } catch (RuntimeException e) {
              errors.add(e);
              backlog.release();
            }
          }
        }, "bench-producer-" + i);
        t.start();
        threads.add(t);
      }
      sleepUntil(from);
      backlogAtStart = created.get() - finished.get();
      ServerMetrics.Window window = metrics.begin();
      sleepUntil(until);
      backlogAtEnd = created.get() - finished.get();
      phase.server = window.end();
      stopping = true;
      for (Thread t : threads) {
        t.join();
      }
      progress("measured; letting the workers finish the " + (created.get() - finished.get())
          + " job(s) left");
      await("finishing the backlog", finished::get, created.get());
    }
    phase.seconds = (until - from) / 1e9;
    phase.jobs = completedInWindow.get();
    phase.latency = endToEnd.percentiles();
    phase.extra.put("created_per_second", createdInWindow.get() / phase.seconds);
    phase.extra.put("backlog_at_start", backlogAtStart);
    phase.extra.put("backlog_at_end", backlogAtEnd);
    phase.extra.put("pickup_ms", BenchReport.latency(pickup.percentiles()));
    phase.extra.put("create_ms", BenchReport.latency(createCalls.percentiles()));
    errors.into(report, "call(s) or job(s)");
  }

  private volatile boolean stopping;

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    for (long d = nanoTime - System.nanoTime(); d > 0; d = nanoTime - System.nanoTime()) {
      TimeUnit.NANOSECONDS.sleep(Math.min(d, 50_000_000));
    }
  }
}

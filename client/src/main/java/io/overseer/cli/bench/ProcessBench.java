package io.overseer.cli.bench;

import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Processing throughput: N jobs queued first (BatchCreateJobs, untimed), then W Worker runtimes
 * with J jobs in flight in total run them; timed from the first handler start to the last
 * completion acknowledged by the server.
 */
@Command(
    name = "process",
    mixinStandardHelpOptions = true,
    description = {
      "Processing throughput: --jobs no-op jobs are queued first (untimed), then --workers Worker"
          + " runtimes with --in-flight jobs in flight in total run them, timed from the first"
          + " handler start to the last CompleteJob acknowledged.",
      "--in-flight takes a list (e.g. 8,32: the peers' c=8 and c=32): one round each, the"
          + " largest is the headline. Latency is per job: from the handler returning to its"
          + " CompleteJob being acknowledged."
    })
class ProcessBench extends Scenario {
  @Mixin PrefetchOption prefetch;

  @Option(names = "--jobs", paramLabel = "N", defaultValue = "20000",
      description = "Jobs per round [${DEFAULT-VALUE}].")
  int jobs;

  @Option(names = "--in-flight", paramLabel = "J", split = ",", defaultValue = "32",
      description = "Jobs in flight in total, over all workers; a comma-separated list runs one"
          + " round each [${DEFAULT-VALUE}].")
  List<Integer> inFlight = new ArrayList<>();

  @Option(names = "--workers", paramLabel = "W", defaultValue = "0",
      description = "Worker runtimes (each its own connection) sharing the jobs in flight;"
          + " 0: one per 32 in flight, as the peers run one process [${DEFAULT-VALUE}].")
  int workers;

  @Option(names = "--warmup-jobs", paramLabel = "N", defaultValue = "5000",
      description = "Jobs per untimed round first, at the largest --in-flight, repeated (at most"
          + " " + MAX_WARMUP_ROUNDS + " rounds) until this JVM's JIT compilers spent under"
          + " 10%% of the last round compiling, so the timed rounds see compiled code; 0: none"
          + " [${DEFAULT-VALUE}].")
  int warmupJobs;

  static final int MAX_WARMUP_ROUNDS = 10;
  static final long MAX_WARMUP_SECONDS = 180;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "1000",
      description = "Jobs per BatchCreateJobs call when queueing (untimed) [${DEFAULT-VALUE}].")
  int batch;

  @Override
  String name() {
    return "process";
  }

  @Override
  void validate() {
    prefetch.validate();
    requirePositive("--jobs", jobs);
    if (inFlight.isEmpty()) {
      throw new UsageException("--in-flight needs at least one number");
    }
    for (int j : inFlight) {
      requirePositive("--in-flight", j);
      if (workers > j) {
        throw new UsageException("--workers " + workers + " is more than --in-flight " + j);
      }
      if (workers(j) > 0 && (j + workers(j) - 1) / workers(j) > 1000) {
        throw new UsageException("--in-flight " + j + " over " + workers(j)
            + " worker(s) is more than 1000 per worker; add --workers");
      }
    }
    if (workers < 0) {
      throw new UsageException("--workers must be 0 (auto) or more");
    }
    if (warmupJobs < 0) {
      throw new UsageException("--warmup-jobs must be 0 (none) or more");
    }
    if (batch < 1 || batch > 1000) {
      throw new UsageException("--batch must be 1..1000");
    }
  }

  int workers(int inFlight) {
    return workers > 0 ? workers : WorkerPool.autoWorkers(inFlight);
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    recordSettings(report);
    if (warmupJobs > 0) {
      warmUp(client, metrics, report, inFlight.stream().max(Integer::compare).orElseThrow());
    }
    int best = -1;
    for (int j : inFlight) {
      BenchReport.Phase phase = round(client, metrics, report, j, jobs, "");
      if (j > best) {
        best = j;
        report.headline = phase;
      }
    }
  }

  /** The process options in the report's settings, and what its latency is. */
  void recordSettings(BenchReport report) {
    report.settings.put("jobs", jobs);
    report.settings.put("in_flight", inFlight.size() == 1 ? inFlight.get(0) : inFlight);
    report.settings.put("prefetch", prefetch.setting());
    report.settings.put("workers", workers == 0 ? "auto (one per 32 in flight)" : workers);
    report.settings.put("warmup_jobs", warmupJobs);
    report.latencyOf = "per job, from the handler returning to its CompleteJob acknowledged";
  }

  /** Untimed rounds at the largest in-flight until the JIT settles ({@link JitWarmUp}). */
  void warmUp(OverseerClient client, ServerMetrics metrics, BenchReport report, int j)
      throws Exception {
    int rounds = JitWarmUp.run(report, "", warmupJobs + " jobs", MAX_WARMUP_ROUNDS,
        MAX_WARMUP_SECONDS, (r, discarded) -> {
          progress("warming up: round " + r + ", " + warmupJobs + " jobs, " + j
              + " in flight (untimed)");
          round(client, metrics, discarded, j, warmupJobs, "");
        });
    report.settings.put("warmup_rounds", rounds);
  }

  /** One timed round of {@code count} jobs at {@code j} in flight; {@code label} ends the phase's name. */
  BenchReport.Phase round(OverseerClient client, ServerMetrics metrics,
      BenchReport report, int j, int count, String label) throws Exception {
    int w = workers(j);
    progress("queueing " + count + " jobs (BatchCreateJobs of " + batch + ")");
    long enqueueStart = System.nanoTime();
    Set<String> ids = ConcurrentHashMap.newKeySet(count * 2);
    ids.addAll(enqueue(client, count, batch));
    double enqueueSeconds = (System.nanoTime() - enqueueStart) / 1e9;

    progress("processing with " + w + " worker(s), " + j + " in flight");
    BenchReport.Phase phase = report.phase("process j=" + j + " w=" + w + label);
    Samples completion = new Samples();
    Errors errors = new Errors();
    AtomicLong firstStart = new AtomicLong(Long.MIN_VALUE);
    AtomicLong lastDone = new AtomicLong(Long.MIN_VALUE);
    AtomicLong completed = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    Map<String, Long> handlerEnd = new ConcurrentHashMap<>(2 * j);
    JobHandler handler = ctx -> {
      long now = System.nanoTime();
      firstStart.compareAndSet(Long.MIN_VALUE, now);
      handlerEnd.put(ctx.jobId(), System.nanoTime());
      return null;
    };
    WorkerListener listener = new WorkerListener() {
      @Override
      public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable e) {
        long now = System.nanoTime();
        if (!ids.contains(job.jobId())) {
          return; // not ours (left by someone else on the queue)
        }
        Long handled = handlerEnd.remove(job.jobId());
        if (outcome == JobOutcome.COMPLETED) {
          if (handled != null) {
            completion.add(now - handled);
          }
          completed.incrementAndGet();
          lastDone.accumulateAndGet(now, Math::max);
        } else {
          errors.add(new IllegalStateException("job " + job.jobId() + " ended " + outcome));
        }
        finished.incrementAndGet();
      }
    };
    ServerMetrics.Window window = metrics.begin();
    try (WorkerPool pool =
        new WorkerPool(this::connect, w, j,
            prefetch::forWorker, queue, type, handler, listener).start()) {
      await("processing", finished::get, count);
      phase.server = window.end();
    }
    phase.jobs = completed.get();
    phase.seconds = (lastDone.get() - firstStart.get()) / 1e9;
    phase.latency = completion.percentiles();
    phase.extra.put("workers", w);
    phase.extra.put("in_flight", j);
    phase.extra.put("in_flight_per_worker", WorkerPool.split(j, w)[0]);
    phase.extra.put("queueing_jobs_per_second", count / enqueueSeconds);
    errors.into(report, "job(s)");
    return phase;
  }
}

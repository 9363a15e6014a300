package io.overseer.cli.bench;

import io.grpc.stub.StreamObserver;
import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobServiceGrpc;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Pickup latency: jobs enqueued at a fixed rate into idle workers; the time from CreateJob
 * returning to the producer until the worker's handler starts. Producer and workers are in this
 * process, so both stamps come from the same {@link System#nanoTime()} clock.
 */
@Command(
    name = "latency",
    mixinStandardHelpOptions = true,
    description = {
      "Pickup latency: --jobs jobs created at a fixed --rate (CreateJob, asynchronous, so a slow"
          + " call never delays the next) into idle Worker runtimes; latency is from CreateJob"
          + " returning to the handler starting (both in this process, one clock).",
      "A handler that starts before CreateJob's response arrives counts as 0 ms."
    })
final class LatencyBench extends Scenario {
  @Mixin PrefetchOption prefetch;

  @Option(names = "--jobs", paramLabel = "N", defaultValue = "500",
      description = "Jobs [${DEFAULT-VALUE}].")
  int jobs;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "50",
      description = "Jobs created per second [${DEFAULT-VALUE}].")
  double rate;

  @Option(names = "--in-flight", paramLabel = "J", defaultValue = "8",
      description = "Jobs in flight in total over the workers [${DEFAULT-VALUE}].")
  int inFlight;

  @Option(names = "--workers", paramLabel = "W", defaultValue = "1",
      description = "Worker runtimes [${DEFAULT-VALUE}].")
  int workers;

  @Option(names = "--warmup-jobs", paramLabel = "N", defaultValue = "3000",
      description = "Jobs per round sent first at the same rate and not measured, repeated (at"
          + " most " + MAX_WARMUP_ROUNDS + " rounds, none begun after " + MAX_WARMUP_SECONDS
          + " s) until this JVM's JIT compilers spent under 10%% of the last round compiling:"
          + " 200 jobs at 50/s, or 3,000 at 758/s, left it compiling through the measured jobs;"
          + " 0: none [${DEFAULT-VALUE}].")
  int warmupJobs;

  static final int MAX_WARMUP_ROUNDS = 30;
  static final long MAX_WARMUP_SECONDS = 120;

  @Override
  String name() {
    return "latency";
  }

  @Override
  void validate() {
    prefetch.validate();
    requirePositive("--jobs", jobs);
    requirePositive("--in-flight", inFlight);
    requirePositive("--workers", workers);
    if (!(rate > 0) || rate > 100_000) {
      throw new UsageException("--rate must be more than 0 (jobs per second), at most 100000");
    }
    if (warmupJobs < 0) {
      throw new UsageException("--warmup-jobs must be 0 (none) or more");
    }
    if (workers > inFlight) {
      throw new UsageException("--workers must not be more than --in-flight");
    }
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    report.settings.put("jobs", jobs);
    report.settings.put("rate", rate);
    report.settings.put("in_flight", inFlight);
    report.settings.put("prefetch", prefetch.setting());
    report.settings.put("workers", workers);
    report.settings.put("warmup_jobs", warmupJobs);
    report.latencyOf = "per job, from CreateJob returning to the worker's handler starting";

    Samples pickup = new Samples();
    Samples createCalls = new Samples();
    Rendezvous rendezvous = new Rendezvous(pickup);
    Errors errors = new Errors();
    AtomicLong started = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    AtomicLong createFailed = new AtomicLong();
    JobHandler handler = ctx -> {
      rendezvous.to(ctx.jobId(), System.nanoTime());
      started.incrementAndGet();
      return null;
    };
    WorkerListener listener = new WorkerListener() {
      @Override
      public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable e) {
        if (outcome != JobOutcome.COMPLETED) {
          errors.add(new IllegalStateException("job " + job.jobId() + " ended " + outcome));
        }
        finished.incrementAndGet();
      }
    };
    JobServiceGrpc.JobServiceStub async = JobServiceGrpc.newStub(client.channel());
    CreateJobRequest request = createRequest();
    BenchReport.Phase phase = report.phase("pickup @" + BenchReport.text(rate) + "/s");
    phase.throughput = false;
    try (WorkerPool pool = new WorkerPool(this::connect, workers, inFlight,
            prefetch::forWorker, queue, type, handler, listener).start()) {
      Thread.sleep(1500); // the workers are idle and waiting in their claim long-poll
      rendezvous.window(Long.MAX_VALUE, Long.MAX_VALUE); // records nothing while warming up
      if (warmupJobs > 0) {
        int rounds = JitWarmUp.run(report, "", warmupJobs + " jobs at the rate",
            MAX_WARMUP_ROUNDS, MAX_WARMUP_SECONDS, (r, discarded) -> {
              progress("warming up: round " + r + ", " + warmupJobs + " jobs at "
                  + BenchReport.text(rate) + "/s (not measured)");
              long ended = finished.get() + createFailed.get();
              pace(async, request, warmupJobs, rendezvous, null, errors, createFailed);
              await("warm-up", () -> finished.get() + createFailed.get(), ended + warmupJobs);
            });
        report.settings.put("warmup_rounds", rounds);
      }
      long startedBefore = started.get();
      long endedBefore = finished.get() + createFailed.get();
      rendezvous.window(System.nanoTime(), Long.MAX_VALUE); // a warm-up job matched later is dropped
      progress(jobs + " jobs at " + BenchReport.text(rate) + "/s into idle workers ("
          + workers + " worker(s), " + inFlight + " in flight)");
      ServerMetrics.Window window = metrics.begin();
      long[] sent = pace(async, request, jobs, rendezvous, createCalls, errors, createFailed);
      await("pickup", () -> finished.get() + createFailed.get(), endedBefore + jobs);
      phase.seconds = (sent[1] - sent[0]) / 1e9;
      phase.server = window.end();
      phase.jobs = started.get() - startedBefore;
    }
    phase.latency = pickup.percentiles();
    phase.extra.put("rate_achieved", phase.seconds > 0 ? (jobs - 1) / phase.seconds : null);
    phase.extra.put("create_ms", BenchReport.latency(createCalls.percentiles()));
    phase.extra.put("started_before_create_returned", rendezvous.early());
    report.headline = phase;
    errors.into(report, "call(s) or job(s)");
  }

  /**
   * Sends {@code n} CreateJob calls at {@link #rate}, asynchronously, so a slow call never delays
   * the next; stamps each response in {@code rendezvous} and its call time in {@code createCalls}
   * unless null. Returns the first and the last send time.
   */
  private long[] pace(JobServiceGrpc.JobServiceStub async, CreateJobRequest request, int n,
      Rendezvous rendezvous, Samples createCalls, Errors errors, AtomicLong createFailed) {
    long gap = (long) (1e9 / rate);
    long start = System.nanoTime();
    long lastSent = start;
    for (int i = 0; i < n; i++) {
      long due = start + i * gap;
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      long sent = System.nanoTime();
      lastSent = sent;
      async.createJob(request, new StreamObserver<>() {
        @Override
        public void onNext(Job job) {
          long now = System.nanoTime();
          rendezvous.from(job.getId(), now);
          if (createCalls != null) {
            createCalls.add(now - sent);
          }
        }

        @Override
        public void onError(Throwable t) {
          errors.add(t);
          createFailed.incrementAndGet();
        }

        @Override
        public void onCompleted() {}
      });
    }
    return new long[] {start, lastSent};
  }
}

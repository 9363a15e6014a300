package io.overseer.cli.bench;

import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.v1.CreateJobRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Enqueue throughput: CreateJob with 1 and with C concurrent callers (each call awaited), then
 * BatchCreateJobs of B from one caller. Each phase creates --jobs jobs.
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = {
      "Enqueue throughput. Phases, each creating --jobs jobs: CreateJob one call at a time"
          + " (c=1), CreateJob with --concurrency callers (c=C; the headline), and BatchCreateJobs"
          + " of --batch jobs per call from one caller.",
      "Latency is per call. The created jobs are drained afterwards (untimed) unless --keep."
    })
final class CreateBench extends Scenario {
  @Option(names = "--jobs", paramLabel = "N", defaultValue = "20000",
      description = "Jobs per phase [${DEFAULT-VALUE}].")
  int jobs;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "32",
      description = "Concurrent CreateJob callers of the second phase [${DEFAULT-VALUE}];"
          + " the c=1 phase always runs.")
  int concurrency;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "1000",
      description = "Jobs per BatchCreateJobs call, 1..1000 [${DEFAULT-VALUE}]; 0 skips the"
          + " batch phase.")
  int batch;

  @Option(names = "--warmup-jobs", paramLabel = "N", defaultValue = "5000",
      description = "Before the c=C phase and before the batch phase: untimed rounds of N jobs"
          + " of that phase's calls, repeated (at most " + MAX_WARMUP_ROUNDS + ") until this"
          + " JVM's JIT compilers spent under 10%% of the last round compiling (the c=1 phase"
          + " warms only its own path); 0: none [${DEFAULT-VALUE}].")
  int warmupJobs;

  static final int MAX_WARMUP_ROUNDS = 10;
  static final long MAX_WARMUP_SECONDS = 120;

  @Option(names = "--keep", description = "Leave the created jobs queued (default: drain them).")
  boolean keep;

  @Override
  String name() {
    return "create";
  }

  @Override
  void validate() {
    requirePositive("--jobs", jobs);
    requirePositive("--concurrency", concurrency);
    if (warmupJobs < 0) {
      throw new UsageException("--warmup-jobs must be 0 (none) or more");
    }
    if (concurrency > 1000) {
      throw new UsageException("--concurrency must be at most 1000");
    }
    if (batch < 0 || batch > 1000) {
      throw new UsageException("--batch must be 0..1000 (BatchCreateJobs takes up to 1,000)");
    }
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    report.settings.put("jobs", jobs);
    report.settings.put("concurrency", concurrency);
    report.settings.put("batch", batch);
    report.latencyOf = "one call, from sending CreateJob (or BatchCreateJobs) to its response";
    report.settings.put("warmup_jobs", warmupJobs);
    List<Integer> callers = concurrency == 1 ? List.of(1) : List.of(1, concurrency);
    for (int c : callers) {
      if (c > 1) {
        warmUp(report, "c=" + c, (r, discarded) -> single(client, metrics, discarded, c, warmupJobs));
      }
      BenchReport.Phase phase = single(client, metrics, report, c, jobs);
      if (c == concurrency) {
        report.headline = phase;
      }
    }
    if (batch > 0) {
      warmUp(report, "batch", (r, discarded) -> batched(client, metrics, discarded, warmupJobs));
      batched(client, metrics, report, jobs);
    }
  }

  /**
   * Untimed rounds of a phase's own calls until the JIT settles ({@link JitWarmUp}): the c=1
   * phase warms the one-caller path, not the paths of many callers or of batches.
   */
  private void warmUp(BenchReport report, String what, JitWarmUp.Round round) throws Exception {
    if (warmupJobs > 0) {
      JitWarmUp.run(report, what, warmupJobs + " jobs", MAX_WARMUP_ROUNDS, MAX_WARMUP_SECONDS,
          (r, discarded) -> {
            progress("warming up " + what + ": round " + r + ", " + warmupJobs + " jobs (untimed)");
            round.run(r, discarded);
          });
    }
  }

  private BenchReport.Phase single(OverseerClient client, ServerMetrics metrics,
      BenchReport report, int callers, int count) throws InterruptedException {
    progress("CreateJob, " + callers + " concurrent caller(s), " + count + " jobs");
    BenchReport.Phase phase = report.phase("single c=" + callers);
    Samples samples = new Samples();
    Errors errors = new Errors();
    AtomicLong next = new AtomicLong();
    AtomicLong created = new AtomicLong();
    CreateJobRequest request = createRequest();
    List<Thread> threads = new ArrayList<>();
    ServerMetrics.Window window = metrics.begin();
    long start = System.nanoTime();
    for (int i = 0; i < callers; i++) {
      Thread t = new Thread(() -> {
        while (next.getAndIncrement() < count && errors.count() < 100) {
          long t0 = System.nanoTime();
          try {
            client.create(request);
            samples.add(System.nanoTime() - t0);
            created.incrementAndGet();
          } catch (RuntimeException e) {
            errors.add(e);
          }
        }
      }, "bench-create-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    phase.seconds = (System.nanoTime() - start) / 1e9;
    phase.server = window.end();
    phase.jobs = created.get();
    phase.calls = (long) samples.count() + errors.count();
    phase.latency = samples.percentiles();
    errors.into(report, "CreateJob call(s) with c=" + callers);
    return phase;
  }

  private void batched(OverseerClient client, ServerMetrics metrics, BenchReport report, int count) {
    progress("BatchCreateJobs of " + batch + ", one caller, " + count + " jobs");
    BenchReport.Phase phase = report.phase("batch b=" + batch);
    Samples samples = new Samples();
    Errors errors = new Errors();
    CreateJobRequest request = createRequest();
    long created = 0;
    long calls = 0;
    ServerMetrics.Window window = metrics.begin();
    long start = System.nanoTime();
    for (long done = 0; done < count && errors.count() < 10; ) {
      int n = (int) Math.min(batch, count - done);
      List<CreateJobRequest> requests = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        requests.add(request);
      }
      long t0 = System.nanoTime();
      calls++;
      try {
        created += client.batchCreate(requests).size();
        samples.add(System.nanoTime() - t0);
      } catch (RuntimeException e) {
        errors.add(e);
      }
      done += n;
    }
    phase.seconds = (System.nanoTime() - start) / 1e9;
    phase.server = window.end();
    phase.jobs = created;
    phase.calls = calls;
    phase.latency = samples.percentiles();
    errors.into(report, "BatchCreateJobs call(s)");
  }

  @Override
  void cleanup(OverseerClient client, BenchReport report) throws Exception {
    if (keep) {
      report.notes.add("--keep: the created jobs stay queued on queue " + queue);
      return;
    }
    drain(client, "created by this run");
  }
}

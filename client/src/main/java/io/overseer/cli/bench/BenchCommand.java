package io.overseer.cli.bench;

import io.overseer.cli.UsageException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code overseer bench create|process|e2e|latency|watch|logs}: load against a running server. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure a running server over real gRPC (TCP): prints a table, or one JSON document with"
          + " --output json (top-level jobs_per_second where it applies, and latency_ms with p50,"
          + " p95, p99, max).",
      "Jobs are no-op jobs of --type [bench] on --queue [bench], run by the Java Worker runtime"
          + " in this process. Jobs of that type left queued on that queue are drained first.",
      "With --metrics http://HOST:PORT/metrics (the server's --metrics-port) it also reports the"
          + " server's CPU and heap from the server's own metrics; else they are n/a.",
      "Defaults follow the peer workload: 20,000 jobs, batches of 1,000, 32 in flight, pickup"
          + " latency of 500 jobs at 50/s."
    },
    subcommands = {
      CreateBench.class,
      ProcessBench.class,
      E2eBench.class,
      LatencyBench.class,
      WatchBench.class,
      LogsBench.class
    })
public final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UsageException("missing scenario: one of create, process, e2e, latency, watch, logs");
  }
}

package io.overseer.cli.bench;

import io.overseer.cli.UsageException;
import picocli.CommandLine.Option;

/** {@code --prefetch}: jobs each worker runtime claims ahead of a free handler. */
final class PrefetchOption {
  @Option(names = "--prefetch", paramLabel = "P", defaultValue = "-1",
      description = "Jobs each Worker runtime claims ahead of a free handler (WorkerBuilder"
          + ".prefetch); -1: as many as it has in flight, as a worker tuned for many short jobs"
          + " would run [${DEFAULT-VALUE}].")
  int prefetch;

  void validate() {
    if (prefetch < -1 || prefetch > 1000) {
      throw new UsageException("--prefetch must be -1 (as many as in flight) or 0..1000");
    }
  }

  /** The prefetch of a worker with {@code concurrency} jobs in flight. */
  int forWorker(int concurrency) {
    return prefetch < 0 ? concurrency : prefetch;
  }

  /** As the JSON settings show it. */
  Object setting() {
    return prefetch < 0 ? "as in flight per worker" : prefetch;
  }
}

package io.overseer.client.worker;

import java.time.Duration;
import java.util.List;

/** A worker's fixed configuration, as built by {@link WorkerBuilder}. */
record WorkerSettings(
    String workerId,
    List<String> queues,
    List<String> types,
    int concurrency,
    int prefetch,
    Duration leaseDuration,
    Duration heartbeatInterval,
    Duration progressInterval,
    Duration logInterval,
    Duration claimWait,
    Duration shutdownTimeout) {

  /** How long to keep retrying a CompleteJob, FailJob or AddAsset that fails transiently. */
  Duration completionRetryBudget() {
    Duration twoLeases = leaseDuration.multipliedBy(2);
    return twoLeases.compareTo(Duration.ofSeconds(30)) > 0 ? twoLeases : Duration.ofSeconds(30);
  }
}

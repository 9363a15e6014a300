package io.overseer.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counts the log lines workers append: lines and bytes stored, lines cut, lines dropped by the cap. */
public final class LogMetrics {
  /** For tests and tools that need no metrics. */
  public static final LogMetrics NONE = new LogMetrics(null);

  private final Counter lines;
  private final Counter bytes;
  private final Counter cut;
  private final Counter dropped;

  public LogMetrics(MeterRegistry registry) {
    this.lines = counter(registry, "overseer.log.lines.appended", "log lines stored by AppendJobLogs");
    this.bytes = counter(registry, "overseer.log.bytes.appended", "bytes the appended lines count against the per-job cap");
    this.cut = counter(registry, "overseer.log.lines.cut", "appended lines cut to 16 KiB");
    this.dropped = counter(registry, "overseer.log.lines.dropped", "oldest lines dropped to keep jobs within --max-log-bytes-per-job");
  }

  /** One committed append. */
  public void appended(long lineCount, long byteCount, long cutCount, long droppedCount) {
    if (lines != null) {
      lines.increment(lineCount);
      bytes.increment(byteCount);
      cut.increment(cutCount);
      dropped.increment(droppedCount);
    }
  }

  private static Counter counter(MeterRegistry registry, String name, String description) {
    return registry == null ? null : Counter.builder(name).description(description).register(registry);
  }
}

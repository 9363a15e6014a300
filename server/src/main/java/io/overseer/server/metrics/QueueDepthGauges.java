package io.overseer.server.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.overseer.server.store.Database;
import io.overseer.server.store.StatsRepository;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code overseer_jobs{state,queue}}: live jobs (QUEUED, RUNNING) per queue, counted from the
 * database on the partial indexes, at most once per refresh interval however often it is
 * scraped.
 */
public final class QueueDepthGauges {
  private final MeterRegistry registry;
  private final Database db;
  private final StatsRepository stats;
  private final long refreshNanos;
  private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();
  private volatile long refreshedAt;

  public QueueDepthGauges(MeterRegistry registry, Database db, StatsRepository stats, long refreshMs) {
    this.registry = registry;
    this.db = db;
    this.stats = stats;
    this.refreshNanos = refreshMs * 1_000_000L;
    this.refreshedAt = System.nanoTime() - refreshNanos;
  }

  /** Reads the counts if the last read is older than the refresh interval. */
  public synchronized void refresh() {
    if (System.nanoTime() - refreshedAt < refreshNanos) {
      return;
    }
    refreshedAt = System.nanoTime();
    Map<StatsRepository.QueueState, Long> counts = db.autocommit(stats::liveJobsByQueue);
    values.values().forEach(v -> v.set(0));
    counts.forEach((k, n) -> gauge(k.queue(), k.state()).set(n));
  }

  private AtomicLong gauge(String queue, String state) {
    return values.computeIfAbsent(
        queue + "\u0000" + state,
        key -> {
          AtomicLong v = new AtomicLong();
          Gauge.builder("overseer.jobs", v, AtomicLong::get)
              .description("live jobs by state and queue")
              .tags("queue", queue, "state", state)
              .register(registry);
          return v;
        });
  }

  /** For scrapes: a database outage leaves the last values. */
  public void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      // a scrape during a database outage shows the last values
    }
  }
}

package io.overseer.server.maintenance;

import io.overseer.server.domain.Job;
import io.overseer.server.core.TransitionPublisher;
import io.overseer.server.store.Database;
import io.overseer.server.store.HousekeepingRepository;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention, progress compaction and the stall watchdog, on one node at a time (its own
 * advisory lock, apart from lease recovery so a long purge never delays it). Deletes go in small
 * batches, each its own short transaction touching only finished rows, so claims never wait on
 * them.
 */
public final class Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

  /** What to keep: a null duration turns that part off. */
  public record Policy(Duration retention, Duration compactProgressAfter, Map<String, Duration> stallAfter, int batch, Duration budget) {}

  private final Database db;
  private final HousekeepingRepository repository;
  private final TransitionPublisher publisher;
  private final Policy policy;
  private final Duration interval;
  private final SingleNodeTicker ticker;

  public Housekeeping(Database db, HousekeepingRepository repository, TransitionPublisher publisher, Policy policy, Duration interval) {
    this.db = db;
    this.repository = repository;
    this.publisher = publisher;
    this.policy = policy;
    this.interval = interval;
    this.ticker = new SingleNodeTicker(db, "housekeeping");
  }

  public void start() {
    ticker.start(interval, this::tick);
  }

  /** One pass, if this node gets the lock; returns the number of jobs deleted. */
  public int tick() {
    return ticker
        .runExclusively(
            () -> {
              watchStalls();
              compact();
              return purge();
            })
        .orElse(0);
  }

  /** Deletes expired jobs batch by batch until none is left or the tick's time budget is spent. */
  private int purge() {
    if (policy.retention() == null) {
      return 0;
    }
    long until = System.nanoTime() + policy.budget().toNanos();
    int total = 0;
    int n;
    do {
      n = db.autocommit(c -> repository.deleteExpired(c, policy.retention().toMillis(), policy.batch()));
      total += n;
    } while (n == policy.batch() && System.nanoTime() < until);
    if (total > 0) {
      log.info("retention deleted {} finished jobs older than {}", total, policy.retention());
    }
    return total;
  }

  private void compact() {
    if (policy.compactProgressAfter() == null) {
      return;
    }
    long until = System.nanoTime() + policy.budget().toNanos();
    int n;
    do {
      n = db.autocommit(c -> repository.compactProgress(c, policy.compactProgressAfter().toMillis(), policy.batch()));
    } while (n == policy.batch() && System.nanoTime() < until);
  }

  private void watchStalls() {
    for (Map.Entry<String, Duration> e : policy.stallAfter().entrySet()) {
      String type = e.getKey().equals("*") ? null : e.getKey();
      String message = "no progress for " + e.getValue().toString().substring(2).toLowerCase();
      List<Job> stalled = db.autocommit(c -> repository.markStalled(c, type, e.getValue().toMillis(), message, 100));
      for (Job j : stalled) {
        publisher.stalled(j);
      }
    }
  }

  @Override
  public void close() {
    ticker.close();
  }
}

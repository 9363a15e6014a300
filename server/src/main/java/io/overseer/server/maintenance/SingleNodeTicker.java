package io.overseer.server.maintenance;

import io.overseer.server.store.Database;
import io.overseer.server.store.LockRepository;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task every interval on one node at a time: each tick runs inside a transaction that must
 * first take a transaction-scoped advisory lock, so ticks of different nodes never overlap, and a
 * dead node's share simply goes to whichever node ticks next. No election, nothing to hand over.
 */
final class SingleNodeTicker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SingleNodeTicker.class);

  private final Database db;
  private final LockRepository locks;
  private final String lockName;
  private final ScheduledExecutorService executor;

  SingleNodeTicker(Database db, String lockName) {
    this.db = db;
    this.locks = new LockRepository();
    this.lockName = lockName;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "overseer-" + lockName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Runs {@code body} if this node gets the lock; empty if another node holds it. */
  <T> Optional<T> runExclusively(Supplier<T> body) {
    return db.transaction(c -> locks.tryTransactionLock(c, lockName) ? Optional.of(body.get()) : Optional.empty());
  }

  /** Schedules {@code tick} every {@code interval}; a failed tick is logged and retried next time. */
  void start(Duration interval, Runnable tick) {
    long ms = interval.toMillis();
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            tick.run();
          } catch (RuntimeException e) {
            log.warn("{} failed, retrying next tick: {}", lockName, e.toString());
          }
        },
        ms,
        ms,
        TimeUnit.MILLISECONDS);
  }

  /** Stops ticking; a tick in progress may finish (up to 5 s), so it never sees the pool close under it. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}

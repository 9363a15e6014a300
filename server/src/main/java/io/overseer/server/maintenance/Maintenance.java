package io.overseer.server.maintenance;

import io.overseer.server.domain.Backoff;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.State;
import io.overseer.server.core.TransitionPublisher;
import io.overseer.server.store.Database;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LeaseRepository.LeaseCondition;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own transitions, run every tick by one node at a time: whichever node takes the
 * transaction-scoped advisory lock first does the tick, so a dead node's work moves to another
 * at the next tick.
 *
 * <ul>
 *   <li>expired lease (orphaned attempt): QUEUED at once, or FAILED when attempts are spent;
 *   <li>attempt past its timeout: like a retryable failure, "timed out", with backoff;
 *   <li>cancel requested and not acknowledged within the grace period: CANCELLED, lease revoked.
 * </ul>
 *
 * Each is a compare-and-set on the attempt's lease token, so a worker finishing at the same moment
 * wins or loses cleanly.
 */
public final class Maintenance implements AutoCloseable {
  private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('overseer.maintenance'))";
  private static final int BATCH = 500;
  private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

  private final Database db;
  private final LeaseRepository leases;
  private final TransitionPublisher publisher;
  private final Backoff backoff;
  private final Duration interval;
  private final Duration cancelGrace;
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "overseer-maintenance");
            t.setDaemon(true);
            return t;
          });

  public Maintenance(
      Database db,
      LeaseRepository leases,
      TransitionPublisher publisher,
      Backoff backoff,
      Duration interval,
      Duration cancelGrace) {
    this.db = db;
    this.leases = leases;
    this.publisher = publisher;
    this.backoff = backoff;
    this.interval = interval;
    this.cancelGrace = cancelGrace;
  }

  public void start() {
    long ms = interval.toMillis();
    executor.scheduleWithFixedDelay(this::safeTick, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("maintenance tick failed, retrying next tick: {}", e.toString());
    }
  }

  /** One pass; returns false if another node holds the maintenance lock. */
  public boolean tick() {
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(TRY_LOCK);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
              return false;
            }
          }
          recoverOrphans();
          timeOutAttempts();
          forceCancels();
          return true;
        });
  }

  private void recoverOrphans() {
    for (Job job : db.autocommit(c -> leases.expiredLeases(c, BATCH))) {
      State to = JobStateMachine.afterFailedAttempt(true, job.cancelRequested(), job.attempt(), job.maxAttempts());
      end(job, LeaseCondition.EXPIRED, to, "lease expired", 0);
    }
  }

  private void timeOutAttempts() {
    for (Job job : db.autocommit(c -> leases.timedOut(c, BATCH))) {
      State to = JobStateMachine.afterFailedAttempt(true, job.cancelRequested(), job.attempt(), job.maxAttempts());
      long delay = to == State.QUEUED ? backoff.afterAttempt(job.attempt(), null).toMillis() : 0;
      end(job, LeaseCondition.ANY, to, "timed out", delay);
    }
  }

  private void forceCancels() {
    for (Job job : db.autocommit(c -> leases.cancelGraceExpired(c, cancelGrace.toMillis(), BATCH))) {
      JobStateMachine.require(job.id().toString(), State.RUNNING, State.CANCELLED);
      end(job, LeaseCondition.ANY, State.CANCELLED, "cancel grace period expired", 0);
    }
  }

  private void end(Job job, LeaseCondition condition, State to, String reason, long delayMs) {
    Optional<Job> ended =
        db.autocommit(
            c -> leases.endAttempt(c, job, condition, to, reason, delayMs, false, Principal.SYSTEM, ""));
    ended.ifPresent(
        j -> {
          log.debug("job {} {} -> {}: {}", j.id(), State.RUNNING, j.state(), reason);
          publisher.attemptEnded(j, reason);
        });
  }

  /** Stops the ticks; a tick in progress may finish (briefly), so it never sees the pool close under it. */
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

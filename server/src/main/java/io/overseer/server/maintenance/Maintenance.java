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
import java.time.Duration;

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
  private static final int BATCH = 500;

  private final Database db;
  private final LeaseRepository leases;
  private final TransitionPublisher publisher;
  private final Backoff backoff;
  private final Duration interval;
  private final Duration cancelGrace;
  private final SingleNodeTicker ticker;

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
    this.ticker = new SingleNodeTicker(db, "maintenance");
  }

  public void start() {
    ticker.start(interval, this::tick);
  }

  /** One pass; returns false if another node holds the maintenance lock. */
  public boolean tick() {
    return ticker
        .runExclusively(
            () -> {
              recoverOrphans();
              timeOutAttempts();
              forceCancels();
              return true;
            })
        .orElse(false);
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
    db.autocommit(c -> leases.endAttempt(c, job, condition, to, reason, delayMs, false, Principal.SYSTEM, ""))
        .ifPresent(j -> publisher.attemptEnded(j, reason));
  }

  @Override
  public void close() {
    ticker.close();
  }
}

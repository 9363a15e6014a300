package io.overseer.server.maintenance;

import io.overseer.server.domain.Backoff;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.State;
import io.overseer.server.core.JobEndings;
import io.overseer.server.store.Database;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LeaseRepository.Ending;
import io.overseer.server.store.LeaseRepository.LeaseCondition;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The server's own transitions, run every tick by one node at a time: whichever node takes the
 * transaction-scoped advisory lock first does the tick, so a dead node's work moves to another
 * at the next tick.
 *
 * <ul>
 *   <li>expired lease (orphaned attempt): QUEUED at once, or FAILED when attempts are spent;
 *   <li>attempt past its timeout: like a retryable failure, "timed out", with backoff;
 *   <li>cancel requested and not acknowledged within the grace period: CANCELLED, lease revoked;
 *   <li>a stopping service not completed within the stop grace period: FAILED, lease revoked.
 * </ul>
 *
 * <p>Where an ended attempt goes depends on the state it was in ({@link
 * JobStateMachine#afterFailedAttempt}): an orphaned service is re-queued, so it comes back
 * elsewhere; a stopping one fails.
 *
 * Each tick's endings of one kind go through {@link JobEndings} as one batch; each is a
 * compare-and-set on the attempt as read (state, lease token, cancel flag), so a worker finishing
 * at the same moment wins or loses cleanly.
 */
public final class Maintenance implements AutoCloseable {
  private static final int BATCH = 500;

  private final Database db;
  private final LeaseRepository leases;
  private final JobEndings endings;
  private final Backoff backoff;
  private final Duration interval;
  private final Duration cancelGrace;
  private final Duration stopGrace;
  private final SingleNodeTicker ticker;

  public Maintenance(
      Database db,
      LeaseRepository leases,
      JobEndings endings,
      Backoff backoff,
      Duration interval,
      Duration cancelGrace,
      Duration stopGrace) {
    this.db = db;
    this.leases = leases;
    this.endings = endings;
    this.backoff = backoff;
    this.interval = interval;
    this.cancelGrace = cancelGrace;
    this.stopGrace = stopGrace;
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
              forceStops();
              return true;
            })
        .orElse(false);
  }

  private void recoverOrphans() {
    end(db.autocommit(c -> leases.expiredLeases(c, BATCH)), job -> afterFailedAttempt(job, LeaseCondition.EXPIRED, "lease expired", false));
  }

  private void timeOutAttempts() {
    end(db.autocommit(c -> leases.timedOut(c, BATCH)), job -> afterFailedAttempt(job, LeaseCondition.ANY, "timed out", true));
  }

  private void forceCancels() {
    end(db.autocommit(c -> leases.cancelGraceExpired(c, cancelGrace.toMillis(), BATCH)),
        job -> forced(job, State.CANCELLED, "cancel grace period expired"));
  }

  private void forceStops() {
    end(db.autocommit(c -> leases.stopGraceExpired(c, stopGrace.toMillis(), BATCH)),
        job -> forced(job, State.FAILED, "stop grace period expired"));
  }

  /** One batch through the ending path. */
  private void end(List<Job> jobs, Function<Job, Ending> ending) {
    endings.endNow(jobs.stream().map(ending).toList());
  }

  /** A grace period ran out: the attempt ends {@code to} whatever its lease. */
  private static Ending forced(Job job, State to, String reason) {
    JobStateMachine.require(job.id().toString(), job.state(), to);
    return ending(job, LeaseCondition.ANY, to, reason, 0);
  }

  /** An orphan is re-queued at once; a timed-out attempt after a backoff, like a retryable failure. */
  private Ending afterFailedAttempt(Job job, LeaseCondition condition, String reason, boolean backOff) {
    State to =
        JobStateMachine.afterFailedAttempt(
            job.id().toString(), job.state(), true, job.cancelRequested(), job.attempt(), job.maxAttempts());
    long delay = backOff && State.CLAIMABLE.contains(to) ? backoff.afterAttempt(job.attempt(), null).toMillis() : 0;
    return ending(job, condition, to, reason, delay);
  }

  /** A compare-and-set on the attempt as read: its state, token and cancel flag. */
  private static Ending ending(Job job, LeaseCondition condition, State to, String reason, long delayMs) {
    return new Ending(job.id(), Set.of(job.state()), job.leaseToken(), condition, job.cancelRequested(), to, null,
        reason, delayMs, false, Principal.SYSTEM, "", null);
  }

  @Override
  public void close() {
    ticker.close();
  }
}

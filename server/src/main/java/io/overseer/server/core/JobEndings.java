package io.overseer.server.core;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.store.Database;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LeaseRepository.Ending;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The one way a job leaves a state for good or for another try: completion, failure, retry,
 * orphan recovery, timeout, cancel of a queued job, forced cancel after the grace period. Each is an
 * {@link Ending} applied by one batch statement ({@link LeaseRepository#endAll}); inside the same
 * transaction every changed row's (previous, new) state pair is checked against the transition
 * table (a violation rolls the whole transaction back), then {@link AfterTerminal} runs for the
 * jobs that became terminal.
 */
public final class JobEndings {
  /** What else must change in the transaction that ends jobs (e.g. their dependents). */
  @FunctionalInterface
  public interface AfterTerminal {
    AfterTerminal NONE = (c, ended) -> {};

    void jobsEnded(Connection c, List<Job> ended) throws SQLException;
  }

  private final Database db;
  private final LeaseRepository leases;
  private final TransitionPublisher publisher;
  private final AfterTerminal afterTerminal;

  public JobEndings(Database db, LeaseRepository leases, TransitionPublisher publisher, AfterTerminal afterTerminal) {
    this.db = db;
    this.leases = leases;
    this.publisher = publisher;
    this.afterTerminal = afterTerminal;
  }

  /**
   * Applies the endings in the caller's transaction: for each ending, the job it changed, or empty
   * if its compare-and-set did not hold. Publish the changes after commit ({@link #publish}).
   */
  public List<Optional<Job>> apply(Connection c, List<Ending> endings) throws SQLException {
    List<Job> changed = leases.endAll(c, endings);
    List<Job> terminal = new ArrayList<>();
    Map<UUID, Job> byId = new HashMap<>();
    for (Job j : changed) {
      JobStateMachine.require(j.id().toString(), j.previousState(), j.state());
      byId.put(j.id(), j);
      if (j.state().isTerminal()) {
        terminal.add(j);
      }
    }
    if (!terminal.isEmpty()) {
      afterTerminal.jobsEnded(c, terminal);
    }
    List<Optional<Job>> out = new ArrayList<>(endings.size());
    for (Ending e : endings) {
      // a job ended twice in one batch changed once: only an ending it matches gets the row
      Job j = byId.get(e.id());
      boolean mine =
          j != null && j.state() == e.target() && (!e.keepsToken() || Objects.equals(j.leaseToken(), e.leaseToken()));
      out.add(mine ? Optional.of(j) : Optional.empty());
      if (mine) {
        byId.remove(e.id());
      }
    }
    return out;
  }

  /** As a group-commit write: concurrent endings share one statement and one commit. */
  public GroupCommit.BatchWrite<Ending, Optional<Job>> batchWrite() {
    return this::apply;
  }

  /** Applies the endings in a transaction of their own, then publishes; returns the changed jobs. */
  public List<Job> endNow(List<Ending> endings) {
    if (endings.isEmpty()) {
      return List.of();
    }
    List<Optional<Job>> applied = db.transaction(c -> apply(c, endings));
    List<Job> changed = new ArrayList<>();
    applied.forEach(j -> j.ifPresent(changed::add));
    changed.forEach(publisher::ended);
    return changed;
  }

  /** Tells the node about a committed ending (watchers, claimers, metrics). */
  public void publish(Job ended) {
    publisher.ended(ended);
  }
}

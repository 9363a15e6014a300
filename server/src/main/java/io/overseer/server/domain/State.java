package io.overseer.server.domain;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a job, stored by name in the {@code jobs.state} column, and the sets of them the
 * server's rules are written in. SQL never names a state itself: it binds these sets (or renders
 * them, where a partial index must match), so a new state joins every rule here.
 */
public enum State {
  QUEUED,
  RUNNING,
  COMPLETED,
  FAILED,
  PARTIAL,
  CANCELLED,
  /** A service job up at its endpoints until it is stopped. */
  SERVING,
  /** A serving job asked to stop: its worker stops the service and completes or fails it. */
  STOPPING,
  /** Waiting for its dependencies; not claimable. */
  WAITING;

  /** No way out: a job's last state. */
  public static final Set<State> TERMINAL = of(COMPLETED, FAILED, PARTIAL, CANCELLED);

  /**
   * A worker holds the job under a lease: the lease columns are set (a CHECK constraint), workers'
   * calls are fenced by its token, and maintenance ends it when the lease expires.
   */
  public static final Set<State> LEASED = of(RUNNING, SERVING, STOPPING);

  /** What a claim takes, once the claim rules let it. */
  public static final Set<State> CLAIMABLE = of(QUEUED);

  /** The state a claim moves a job to. */
  public static final State CLAIMED = RUNNING;

  /**
   * Leased states that are expected to make progress: a job's timeout bounds them (the time until
   * a service job serves, not the time it serves) and the stall watchdog watches them.
   */
  public static final Set<State> TIMED = of(RUNNING);

  public boolean isTerminal() {
    return TERMINAL.contains(this);
  }

  public boolean isLeased() {
    return LEASED.contains(this);
  }

  private static Set<State> of(State first, State... rest) {
    return Collections.unmodifiableSet(EnumSet.of(first, rest));
  }
}

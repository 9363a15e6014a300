package io.overseer.server.domain;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The one transition table of the job lifecycle. Pure: no I/O, no clock.
 *
 * <p>Every state change the server makes asks {@link #require} first; the database write that
 * follows is a compare-and-set on the expected state, so a race between nodes is caught there.
 */
public final class JobStateMachine {
  private static final Map<State, Set<State>> ALLOWED = new EnumMap<>(State.class);

  static {
    ALLOWED.put(State.QUEUED, EnumSet.of(State.RUNNING, State.CANCELLED));
    ALLOWED.put(
        State.RUNNING,
        EnumSet.of(State.COMPLETED, State.PARTIAL, State.FAILED, State.QUEUED, State.CANCELLED));
    for (State terminal : State.values()) {
      if (terminal.isTerminal()) {
        ALLOWED.put(terminal, EnumSet.noneOf(State.class));
      }
    }
  }

  private JobStateMachine() {}

  public static boolean isAllowed(State from, State to) {
    return ALLOWED.get(from).contains(to);
  }

  /** Throws {@link InvalidTransitionException} naming both states unless from → to is allowed. */
  public static void require(String jobId, State from, State to) {
    if (!isAllowed(from, to)) {
      throw new InvalidTransitionException(jobId, from, to);
    }
  }

  /**
   * Where a running attempt goes when it ends without success: the worker failed it, it timed
   * out, or its lease expired.
   *
   * <p>A requested cancel wins (never retried); then a retry while attempts are left; else FAILED.
   */
  public static State afterFailedAttempt(
      boolean retryable, boolean cancelRequested, int attempt, int maxAttempts) {
    State to;
    if (cancelRequested) {
      to = State.CANCELLED;
    } else if (retryable && attempt < maxAttempts) {
      to = State.QUEUED;
    } else {
      to = State.FAILED;
    }
    require(null, State.RUNNING, to);
    return to;
  }
}

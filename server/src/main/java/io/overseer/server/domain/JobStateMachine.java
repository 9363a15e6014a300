package io.overseer.server.domain;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The one transition table of the job lifecycle. Pure: no I/O, no clock.
 *
 * <p>Every write that changes a job's state takes its from-states from here: a write that read the
 * job first passes the state it saw through {@link #require}; a write that did not (a completion
 * by its lease token) matches the states {@link #sources} names. The database write is then a
 * compare-and-set on those states, and the ending path checks each changed row's recorded
 * previous state against this table again before it commits.
 */
public final class JobStateMachine {
  private static final Map<State, Set<State>> ALLOWED = new EnumMap<>(State.class);

  static {
    ALLOWED.put(State.QUEUED, EnumSet.of(State.RUNNING, State.CANCELLED));
    ALLOWED.put(
        State.RUNNING,
        EnumSet.of(State.COMPLETED, State.PARTIAL, State.FAILED, State.QUEUED, State.CANCELLED, State.SERVING));
    ALLOWED.put(
        State.SERVING,
        EnumSet.of(State.STOPPING, State.COMPLETED, State.PARTIAL, State.FAILED, State.QUEUED, State.CANCELLED));
    ALLOWED.put(State.STOPPING, EnumSet.of(State.COMPLETED, State.PARTIAL, State.FAILED));
    ALLOWED.put(State.WAITING, EnumSet.of(State.QUEUED, State.CANCELLED));
    for (State terminal : State.TERMINAL) {
      ALLOWED.put(terminal, EnumSet.noneOf(State.class));
    }
    for (State s : State.values()) {
      if (!ALLOWED.containsKey(s)) {
        throw new ExceptionInInitializerError("no transitions declared for state " + s);
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

  /** The states among {@code among} from which {@code to} is allowed: a write's from-states. */
  public static Set<State> sources(State to, Set<State> among) {
    Set<State> from = EnumSet.noneOf(State.class);
    for (State s : among) {
      if (isAllowed(s, to)) {
        from.add(s);
      }
    }
    return Collections.unmodifiableSet(from);
  }

  /**
   * Where a leased attempt in state {@code from} goes when it ends without success: the worker
   * failed it, it timed out, or its lease expired.
   *
   * <p>The first of these the table allows from {@code from}: CANCELLED if a cancel was requested
   * (never retried); QUEUED if retryable with attempts left; FAILED. (So a STOPPING job, which may
   * be neither cancelled nor re-queued, fails.) Throws unless {@code from} is leased (only an
   * attempt can fail) and the table allows FAILED from it.
   */
  public static State afterFailedAttempt(
      String jobId, State from, boolean retryable, boolean cancelRequested, int attempt, int maxAttempts) {
    if (!from.isLeased()) {
      throw new InvalidTransitionException(jobId, from, State.FAILED);
    }
    if (cancelRequested && isAllowed(from, State.CANCELLED)) {
      return State.CANCELLED;
    }
    if (retryable && attempt < maxAttempts && isAllowed(from, State.QUEUED)) {
      return State.QUEUED;
    }
    require(jobId, from, State.FAILED);
    return State.FAILED;
  }
}

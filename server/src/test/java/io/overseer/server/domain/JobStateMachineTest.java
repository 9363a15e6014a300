package io.overseer.server.domain;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The transition table of SPEC.md ("States"), pair by pair, and where failed attempts go. */
class JobStateMachineTest {
  /** SPEC.md's table, written out independently of the code under test. */
  private static final Map<State, Set<State>> SPEC =
      Map.of(
          State.QUEUED, EnumSet.of(State.RUNNING, State.CANCELLED),
          State.RUNNING,
              EnumSet.of(State.COMPLETED, State.PARTIAL, State.FAILED, State.QUEUED, State.CANCELLED, State.SERVING),
          // "Service jobs": stopped, ended by the worker (PARTIAL as CompleteJob allows), orphaned, cancelled
          State.SERVING,
              EnumSet.of(State.STOPPING, State.COMPLETED, State.PARTIAL, State.FAILED, State.QUEUED, State.CANCELLED),
          State.STOPPING, EnumSet.of(State.COMPLETED, State.PARTIAL, State.FAILED),
          // "Dependencies"
          State.WAITING, EnumSet.of(State.QUEUED, State.CANCELLED),
          State.COMPLETED, EnumSet.noneOf(State.class),
          State.FAILED, EnumSet.noneOf(State.class),
          State.PARTIAL, EnumSet.noneOf(State.class),
          State.CANCELLED, EnumSet.noneOf(State.class));

  static Stream<Arguments> everyPair() {
    List<Arguments> pairs = new ArrayList<>();
    for (State from : State.values()) {
      for (State to : State.values()) {
        pairs.add(Arguments.of(from, to));
      }
    }
    return pairs.stream();
  }

  @Test
  void thereAreNineStatesAndFourAreTerminal() {
    assertEquals(9, State.values().length);
    assertEquals(
        EnumSet.of(State.COMPLETED, State.FAILED, State.PARTIAL, State.CANCELLED),
        EnumSet.copyOf(Stream.of(State.values()).filter(State::isTerminal).toList()));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("everyPair")
  void requireFollowsTheSpecTable(State from, State to) {
    boolean allowed = SPEC.get(from).contains(to);
    assertEquals(allowed, JobStateMachine.isAllowed(from, to));
    if (allowed) {
      assertDoesNotThrow(() -> JobStateMachine.require("job-1", from, to));
      return;
    }
    InvalidTransitionException e =
        assertThrows(InvalidTransitionException.class, () -> JobStateMachine.require("job-1", from, to));
    assertTrue(e.getMessage().contains(from.name()), e.getMessage());
    assertTrue(e.getMessage().contains(to.name()), e.getMessage());
    assertTrue(
        e.getMessage().indexOf(from.name()) < e.getMessage().lastIndexOf(to.name()),
        "names the from state before the to state: " + e.getMessage());
    assertTrue(e.getMessage().contains("job-1"), e.getMessage());
    assertEquals("INVALID_TRANSITION", e.reason());
    assertEquals(from, e.from());
    assertEquals(to, e.to());
    assertEquals("job-1", e.metadata().get("job_id"));
    assertEquals(from.name(), e.metadata().get("state"));
    assertFalse(e.hint() == null || e.hint().isBlank(), "a hint for the caller");
  }

  @Test
  void noTransitionLeavesATerminalStateAndNoStateGoesToItself() {
    for (State from : State.values()) {
      assertFalse(JobStateMachine.isAllowed(from, from), from + " -> itself");
      if (from.isTerminal()) {
        for (State to : State.values()) {
          assertThrows(InvalidTransitionException.class, () -> JobStateMachine.require(null, from, to));
        }
      }
    }
  }

  @Test
  void aTransitionWithoutJobIdStillNamesBothStates() {
    InvalidTransitionException e =
        assertThrows(
            InvalidTransitionException.class,
            () -> JobStateMachine.require(null, State.COMPLETED, State.CANCELLED));
    assertTrue(e.getMessage().contains("COMPLETED") && e.getMessage().contains("CANCELLED"), e.getMessage());
    assertFalse(e.getMessage().contains("null"), e.getMessage());
    assertFalse(e.metadata().containsKey("job_id"));
    assertTrue(e.hint().contains("terminal"), e.hint());
  }

  @ParameterizedTest(name = "retryable={0} cancelRequested={1} attempt={2}/{3} -> {4}")
  @CsvSource({
    // a requested cancel wins, whatever else holds
    "true,  true,  1, 3, CANCELLED",
    "false, true,  1, 3, CANCELLED",
    "true,  true,  3, 3, CANCELLED",
    "false, true,  3, 3, CANCELLED",
    // retryable with attempts left: back to the queue
    "true,  false, 1, 3, QUEUED",
    "true,  false, 2, 3, QUEUED",
    "true,  false, 99, 100, QUEUED",
    // attempts exhausted or not retryable: FAILED
    "true,  false, 3, 3, FAILED",
    "true,  false, 1, 1, FAILED",
    "true,  false, 4, 3, FAILED",
    "false, false, 1, 3, FAILED",
    "false, false, 3, 3, FAILED",
  })
  void afterFailedAttempt(boolean retryable, boolean cancelRequested, int attempt, int maxAttempts, State expected) {
    State to = JobStateMachine.afterFailedAttempt("job-1", State.RUNNING, retryable, cancelRequested, attempt, maxAttempts);
    assertEquals(expected, to);
    assertTrue(JobStateMachine.isAllowed(State.RUNNING, to), "a failed attempt leaves RUNNING legally");
  }

  @ParameterizedTest(name = "{0} retryable={1} cancelRequested={2} -> {3}")
  @CsvSource({
    "SERVING,  true,  false, QUEUED",
    "SERVING,  false, false, FAILED",
    "SERVING,  true,  true,  CANCELLED",
    // a stopping service may be neither re-queued nor cancelled: it fails
    "STOPPING, true,  false, FAILED",
    "STOPPING, true,  true,  FAILED",
  })
  void aServiceJobsFailedAttempt(State from, boolean retryable, boolean cancelRequested, State expected) {
    assertEquals(expected, JobStateMachine.afterFailedAttempt("job-1", from, retryable, cancelRequested, 1, 3));
  }

  @Test
  void aFailedAttemptFromAStateThatCannotEndSoIsRefused() {
    for (State from : State.values()) {
      if (!from.isLeased()) {
        assertThrows(
            InvalidTransitionException.class,
            () -> JobStateMachine.afterFailedAttempt("job-1", from, true, false, 1, 3),
            from + " is not leased: no attempt of it can fail");
      }
    }
  }

  @Test
  void sourcesAreTheStatesOfASetThatMayMoveToTheTarget() {
    assertEquals(EnumSet.of(State.RUNNING, State.SERVING, State.STOPPING), JobStateMachine.sources(State.COMPLETED, State.LEASED));
    assertEquals(EnumSet.of(State.RUNNING, State.SERVING), JobStateMachine.sources(State.CANCELLED, State.LEASED));
    assertEquals(EnumSet.of(State.SERVING), JobStateMachine.sources(State.STOPPING, State.LEASED));
    assertEquals(
        EnumSet.of(State.QUEUED, State.WAITING),
        JobStateMachine.sources(State.CANCELLED, EnumSet.complementOf(EnumSet.copyOf(State.LEASED))));
    assertEquals(EnumSet.noneOf(State.class), JobStateMachine.sources(State.QUEUED, State.TERMINAL));
    for (State to : State.values()) {
      for (State from : JobStateMachine.sources(to, EnumSet.allOf(State.class))) {
        assertTrue(SPEC.get(from).contains(to), from + " -> " + to);
      }
    }
  }

  @Test
  void theNamedSetsAgreeWithTheTable() {
    for (State s : State.values()) {
      assertEquals(s.isTerminal(), State.TERMINAL.contains(s));
      boolean hasWayOut = Stream.of(State.values()).anyMatch(to -> JobStateMachine.isAllowed(s, to));
      assertEquals(!s.isTerminal(), hasWayOut, s + ": terminal exactly when there is no way out");
    }
    for (State leased : State.LEASED) {
      assertFalse(leased.isTerminal(), leased + " is leased, so live");
    }
    for (State claimable : State.CLAIMABLE) {
      assertTrue(JobStateMachine.isAllowed(claimable, State.CLAIMED), "a claim moves " + claimable + " to " + State.CLAIMED);
    }
    assertTrue(State.CLAIMED.isLeased(), "a claimed job is leased");
  }
}

package io.overseer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.v1.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobStatesTest {
  @ParameterizedTest
  @ValueSource(strings = {"completed", "COMPLETED", "JOB_STATE_COMPLETED", " Completed ",
      "job_state_completed"})
  void parsesEverySpelling(String text) {
    assertEquals(JobState.JOB_STATE_COMPLETED, JobStates.parse(text));
  }

  @Test
  void rejectsUnknownAndUnspecified() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> JobStates.parse("done"));
    assertTrue(e.getMessage().contains("queued, running, completed, failed, partial, cancelled"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> JobStates.parse("unspecified"));
    assertThrows(IllegalArgumentException.class, () -> JobStates.parse(""));
  }

  @Test
  void terminalStatesAndLabels() {
    assertTrue(JobStates.isTerminal(JobState.JOB_STATE_PARTIAL));
    assertTrue(JobStates.isTerminal(JobState.JOB_STATE_CANCELLED));
    assertFalse(JobStates.isTerminal(JobState.JOB_STATE_RUNNING));
    assertFalse(JobStates.isTerminal(JobState.JOB_STATE_QUEUED));
    assertEquals("running", JobStates.label(JobState.JOB_STATE_RUNNING));
  }

  @ParameterizedTest
  @ValueSource(strings = {"serving", "stopping", "waiting"})
  void theServiceAndWaitingStatesParseAndAreLive(String name) {
    JobState state = JobStates.parse(name);
    assertEquals(state, JobStates.parse("JOB_STATE_" + name.toUpperCase(java.util.Locale.ROOT)));
    assertEquals(name, JobStates.label(state));
    assertFalse(JobStates.isTerminal(state), name);
    assertTrue(JobStates.acceptedValues().contains(name), JobStates.acceptedValues());
  }
}

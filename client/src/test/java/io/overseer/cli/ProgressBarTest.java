package io.overseer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overseer.v1.JobState;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void rendersTheBar() {
    assertEquals("[#########-----------]  45%  running  step 9/20",
        ProgressBar.render(45, "running", "step 9/20"));
    assertEquals("[--------------------]   0%  queued", ProgressBar.render(0, "queued", ""));
    assertEquals("[####################] 100%  completed",
        ProgressBar.render(100, "completed", null));
  }

  @Test
  void clampsAndFlattens() {
    assertEquals(ProgressBar.render(100, "x", null), ProgressBar.render(250, "x", null));
    assertEquals(ProgressBar.render(0, "x", null), ProgressBar.render(-5, "x", null));
    assertEquals("[#-------------------]   5%  running  a b",
        ProgressBar.render(5, "running", "a\nb"));
  }

  @Test
  void labelIsTheStageWhileRunningElseTheState() {
    assertEquals("collecting", ProgressBar.label(JobState.JOB_STATE_RUNNING, "collecting"));
    assertEquals("running", ProgressBar.label(JobState.JOB_STATE_RUNNING, ""));
    assertEquals("failed", ProgressBar.label(JobState.JOB_STATE_FAILED, "running"));
  }
}

package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.v1.JobState;

/** Renders {@code [#########-----------]  45%  running  step 9/20}. */
final class ProgressBar {
  static final int WIDTH = 20;

  private ProgressBar() {}

  /**
   * @param percent clamped to 0..100
   * @param label what the job is doing: its stage while running, else its state
   * @param detail the latest message; may be null or empty
   */
  static String render(int percent, String label, String detail) {
    int p = Math.max(0, Math.min(100, percent));
    int filled = p * WIDTH / 100;
    StringBuilder line = new StringBuilder(WIDTH + 40);
    line.append('[')
        .append("#".repeat(filled))
        .append("-".repeat(WIDTH - filled))
        .append("] ")
        .append(String.format("%3d%%", p)); // "]  45%", "] 100%": the numbers line up
    if (label != null && !label.isBlank()) {
      line.append("  ").append(label);
    }
    if (detail != null && !detail.isBlank()) {
      line.append("  ").append(detail.replaceAll("[\\r\\n]+", " "));
    }
    return line.toString();
  }

  /** The label for a job: the stage while RUNNING (or "running"), else the state's name. */
  static String label(JobState state, String stage) {
    if (state == JobState.JOB_STATE_RUNNING && stage != null && !stage.isBlank()) {
      return stage;
    }
    return JobStates.label(state);
  }
}

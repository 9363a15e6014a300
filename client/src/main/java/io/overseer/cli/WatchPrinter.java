package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.Structs;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Follows a job's events on the terminal. On a TTY one progress bar is redrawn in place with
 * {@code \r}; otherwise (a pipe, a log) each event prints one line. With {@code --output json}
 * each event prints as one compact JSON line (JSON Lines). A service job's "serving at URI" line
 * stays on screen (on a TTY, the bar goes on below it).
 */
final class WatchPrinter implements Consumer<JobEvent> {
  enum Mode {
    TTY,
    LINES,
    JSON_LINES
  }

  private final PrintWriter out;
  private final Mode mode;
  private final int maxWidth;
  private JobState state = JobState.JOB_STATE_UNSPECIFIED;
  private int progress;
  private String stage = "";
  private String message = "";
  private int drawnWidth; // TTY: length of the line currently on screen
  private String lastLine = ""; // LINES: an event that changes nothing visible prints nothing

  WatchPrinter(PrintWriter out, Mode mode, int maxWidth) {
    this.out = out;
    this.mode = mode;
    this.maxWidth = maxWidth;
  }

  @Override
  public void accept(JobEvent event) {
    apply(event);
    switch (mode) {
      case JSON_LINES:
        out.println(Structs.toJson(event));
        break;
      case LINES:
        String text = line();
        if (!text.equals(lastLine)) {
          out.println(text);
          lastLine = text;
        }
        break;
      default:
        // where a service is stays on screen, whole, while the bar goes on below
        redraw(event.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
            && event.getState() == JobState.JOB_STATE_SERVING);
    }
    out.flush();
  }

  /** Ends the redrawn line on a TTY. */
  void finish() {
    if (mode == Mode.TTY && drawnWidth > 0) {
      out.println();
      out.flush();
      drawnWidth = 0;
    }
  }

  JobState state() {
    return state;
  }

  /**
   * The current rendering, e.g. {@code [####----------------]  20%  running  step 2/10}, or
   * {@code [--------------------]   0%  serving at http://10.0.0.7:8888/ (http)}.
   */
  String line() {
    String label = ProgressBar.label(state, stage);
    // a cancelled job's reason is often just "cancelled": say it once
    if (message.equalsIgnoreCase(label)) {
      return ProgressBar.render(progress, label, "");
    }
    // a message that goes on from the label ("serving at http://…") takes its place
    if (message.regionMatches(true, 0, label + " ", 0, label.length() + 1)) {
      return ProgressBar.render(progress, message, "");
    }
    return ProgressBar.render(progress, label, message);
  }

  /**
   * Progress, stage and message change only with PROGRESS events, so a state change (which may
   * carry no progress) never makes the bar jump back; a state change's message is its reason.
   */
  void apply(JobEvent event) {
    if (event.getState() != JobState.JOB_STATE_UNSPECIFIED) {
      state = event.getState();
    }
    if (event.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS) {
      progress = event.getProgress();
      if (!event.getStage().isEmpty()) {
        stage = event.getStage();
      }
      if (!event.getMessage().isEmpty()) {
        message = event.getMessage();
      }
    } else if (event.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED) {
      message = event.getMessage();
      if (state == JobState.JOB_STATE_COMPLETED) {
        progress = 100;
      }
      if (state == JobState.JOB_STATE_QUEUED) {
        stage = "";
      }
    } else if (event.getKind() == JobEventKind.JOB_EVENT_KIND_CANCEL_REQUESTED) {
      message = "cancel requested" + (event.getMessage().isEmpty() ? "" : ": "
          + event.getMessage());
    } else if (event.getKind() != JobEventKind.JOB_EVENT_KIND_ASSET_ADDED
        && !event.getMessage().isEmpty()) {
      message = event.getMessage(); // kinds added later (e.g. STALLED) still say what happened
    }
    if (JobStates.isTerminal(state) && event.getProgress() > progress) {
      progress = event.getProgress();
    }
  }

  /** {@code keep}: the line is printed whole (never cut to the width) and ended. */
  private void redraw(boolean keep) {
    String text = line();
    if (!keep && maxWidth > 10 && text.length() > maxWidth - 1) {
      text = text.substring(0, maxWidth - 2) + "…";
    }
    int pad = Math.max(0, drawnWidth - text.length());
    out.print("\r" + text + " ".repeat(pad));
    drawnWidth = text.length();
    if (keep) {
      finish();
    }
  }
}

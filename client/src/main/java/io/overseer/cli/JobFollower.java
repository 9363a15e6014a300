package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.OverseerClient;
import io.overseer.v1.JobState;
import java.io.PrintWriter;

/** Shared by {@code watch} and {@code submit --watch}: follow a job, return its exit status. */
final class JobFollower {
  private JobFollower() {}

  static int follow(OverseerClient client, String jobId, long afterSequence, PrintWriter out,
      boolean json) {
    WatchPrinter.Mode mode =
        json ? WatchPrinter.Mode.JSON_LINES
            : System.console() != null ? WatchPrinter.Mode.TTY : WatchPrinter.Mode.LINES;
    WatchPrinter printer = new WatchPrinter(out, mode, terminalWidth());
    try {
      client.watch(jobId, afterSequence, printer);
    } finally {
      printer.finish();
    }
    JobState state = printer.state();
    if (!JobStates.isTerminal(state)) {
      // the stream started past the terminal event (e.g. --after-sequence): ask for the state
      state = client.get(jobId).getState();
    }
    if (!JobStates.isTerminal(state)) {
      throw new IllegalStateException(
          "the watch of job " + jobId + " ended while it is " + JobStates.label(state));
    }
    return ExitCodes.forTerminalState(state);
  }

  private static int terminalWidth() {
    try {
      return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "120"));
    } catch (NumberFormatException e) {
      return 120;
    }
  }
}

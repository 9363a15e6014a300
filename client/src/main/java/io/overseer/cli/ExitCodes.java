package io.overseer.cli;

import io.overseer.v1.JobState;

/** Exit statuses of the {@code overseer} command. */
final class ExitCodes {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int CANCELLED = 2;
  static final int PARTIAL = 3;
  /** Any error, usage errors included. */
  static final int ERROR = 4;

  private ExitCodes() {}

  /** The status of {@code watch}: 0 COMPLETED, 1 FAILED, 2 CANCELLED, 3 PARTIAL, else 4. */
  static int forTerminalState(JobState state) {
    switch (state) {
      case JOB_STATE_COMPLETED:
        return OK;
      case JOB_STATE_FAILED:
        return FAILED;
      case JOB_STATE_CANCELLED:
        return CANCELLED;
      case JOB_STATE_PARTIAL:
        return PARTIAL;
      default:
        return ERROR;
    }
  }
}

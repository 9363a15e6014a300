package io.overseer.server.domain;

/** The states of a job. Stored by name in the {@code jobs.state} column. */
public enum State {
  QUEUED,
  RUNNING,
  COMPLETED,
  FAILED,
  PARTIAL,
  CANCELLED;

  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == PARTIAL || this == CANCELLED;
  }
}

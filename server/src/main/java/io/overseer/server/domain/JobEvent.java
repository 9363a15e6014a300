package io.overseer.server.domain;

import java.time.Instant;
import java.util.UUID;

/** One entry of a job's event log; sequences are gapless per job, starting at 1. */
public record JobEvent(
    UUID jobId,
    long sequence,
    EventKind kind,
    State state,
    State previousState,
    int progress,
    String stage,
    String message,
    String actor,
    String workerId,
    UUID assetId,
    Instant time) {

  public enum EventKind {
    STATE_CHANGED,
    PROGRESS,
    ASSET_ADDED,
    CANCEL_REQUESTED,
    STALLED
  }

  /** The terminal event is the last one a job ever gets. */
  public boolean isTerminal() {
    return kind == EventKind.STATE_CHANGED && state.isTerminal();
  }
}

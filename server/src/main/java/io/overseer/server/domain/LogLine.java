package io.overseer.server.domain;

import java.time.Instant;

/** One stored line of a job's log; sequences are gapless per job, starting at 1. */
public record LogLine(long sequence, Instant time, String stream, String text, int attempt) {

  /**
   * This line as the first one a reader gets after {@code missed} lines it asked for were dropped
   * by the per-job cap: its text says how many.
   */
  public LogLine afterDropped(long missed) {
    return new LogLine(sequence, time, stream, "[" + missed + " earlier lines dropped] " + text, attempt);
  }
}

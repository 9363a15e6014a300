package io.overseer.client;

import io.overseer.v1.JobState;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Helpers for {@link JobState}: terminal states, parsing and display labels. */
public final class JobStates {
  private static final String PREFIX = "JOB_STATE_";

  private JobStates() {}

  /**
   * COMPLETED, FAILED, PARTIAL and CANCELLED never change again; every other state (QUEUED,
   * WAITING, RUNNING, SERVING, STOPPING) is live.
   */
  public static boolean isTerminal(JobState state) {
    return state == JobState.JOB_STATE_COMPLETED
        || state == JobState.JOB_STATE_FAILED
        || state == JobState.JOB_STATE_PARTIAL
        || state == JobState.JOB_STATE_CANCELLED;
  }

  /**
   * Parses a state the way a person writes it: {@code completed}, {@code COMPLETED} or {@code
   * JOB_STATE_COMPLETED} (case-insensitive; dashes count as underscores).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static JobState parse(String text) {
    String name = text == null ? "" : text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    if (!name.startsWith(PREFIX)) {
      name = PREFIX + name;
    }
    for (JobState state : JobState.values()) {
      if (state != JobState.UNRECOGNIZED
          && state != JobState.JOB_STATE_UNSPECIFIED
          && state.name().equals(name)) {
        return state;
      }
    }
    throw new IllegalArgumentException(
        "unknown job state '" + text + "'; expected one of " + acceptedValues());
  }

  /** {@code completed} for JOB_STATE_COMPLETED. */
  public static String label(JobState state) {
    if (state == null || state == JobState.UNRECOGNIZED) {
      return "unknown";
    }
    String name = state.name();
    return (name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name)
        .toLowerCase(Locale.ROOT);
  }

  /**
   * {@code queued, running, completed, failed, partial, cancelled, serving, stopping, waiting}: every
   * state, in the proto's order.
   */
  public static String acceptedValues() {
    return Arrays.stream(JobState.values())
        .filter(s -> s != JobState.UNRECOGNIZED && s != JobState.JOB_STATE_UNSPECIFIED)
        .map(JobStates::label)
        .collect(Collectors.joining(", "));
  }
}

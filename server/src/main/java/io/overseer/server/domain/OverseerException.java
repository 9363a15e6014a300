package io.overseer.server.domain;

import java.util.Map;

/**
 * A domain error with a stable reason code. The API layer maps each subclass to a gRPC status
 * in one place (see {@code io.overseer.server.api.ErrorMapper}).
 */
public abstract class OverseerException extends RuntimeException {
  private final String reason;
  private final Map<String, String> metadata;
  private final String hint;

  protected OverseerException(
      String reason, String message, Map<String, String> metadata, String hint) {
    super(message, null, false, false);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
    this.hint = hint;
  }

  /** Stable UPPER_SNAKE code, e.g. {@code JOB_NOT_FOUND}. */
  public String reason() {
    return reason;
  }

  /** Ids and states involved. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** What the caller can do about it. */
  public String hint() {
    return hint;
  }
}

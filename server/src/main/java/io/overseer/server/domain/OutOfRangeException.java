package io.overseer.server.domain;

import java.util.Map;

/** A position past the end of something that is still growing, e.g. a live job's event log. */
public final class OutOfRangeException extends OverseerException {
  public OutOfRangeException(String reason, String message, Map<String, String> metadata, String hint) {
    super(reason, message, metadata, hint);
  }
}

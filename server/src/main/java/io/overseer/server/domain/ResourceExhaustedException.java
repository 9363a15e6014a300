package io.overseer.server.domain;

import java.util.Map;

/** A limit or quota was reached; the caller may retry later. */
public final class ResourceExhaustedException extends OverseerException {
  public ResourceExhaustedException(String reason, String message, Map<String, String> metadata, String hint) {
    super(reason, message, metadata, hint);
  }
}

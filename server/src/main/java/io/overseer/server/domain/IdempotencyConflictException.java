package io.overseer.server.domain;

import java.util.Map;

/** The idempotency key was already used by this owner for a job with different fields. */
public final class IdempotencyConflictException extends OverseerException {
  public IdempotencyConflictException(String key, String existingJobId) {
    super(
        "IDEMPOTENCY_KEY_CONFLICT",
        "idempotency key '" + key + "' was already used for job " + existingJobId
            + " with different fields",
        Map.of("idempotency_key", key, "job_id", existingJobId),
        "send the same fields to get the existing job back, or use a new idempotency key");
  }
}

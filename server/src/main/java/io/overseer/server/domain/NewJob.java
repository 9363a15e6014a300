package io.overseer.server.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A validated request to create a job. {@code runAt} null means now; {@code timeout} null means
 * none; {@code idempotencyKey} null means none.
 */
public record NewJob(
    UUID id,
    String type,
    String queue,
    String paramsJson,
    int priority,
    int maxAttempts,
    Duration timeout,
    Instant runAt,
    Map<String, String> labels,
    String idempotencyKey) {

  /**
   * Whether an existing job was created from the same request, for idempotent retries. The
   * database compares the params (as jsonb, so key order and spacing do not matter).
   */
  public boolean sameRequestAs(Job existing, boolean sameParams) {
    boolean askedNow = runAt == null || !runAt.isAfter(existing.createTime());
    boolean wasNow = !existing.runAt().isAfter(existing.createTime());
    return sameParams
        && type.equals(existing.type())
        && queue.equals(existing.queue())
        && priority == existing.priority()
        && maxAttempts == existing.maxAttempts()
        && Objects.equals(timeout, existing.timeout())
        && (askedNow ? wasNow : runAt.equals(existing.runAt()))
        && labels.equals(existing.labels());
  }
}

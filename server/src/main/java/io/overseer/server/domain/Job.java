package io.overseer.server.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A job row as stored. JSON columns stay JSON text here; the API edge converts them.
 *
 * @param lastSequence the sequence of the job's newest event (events are 1..lastSequence)
 * @param leaseToken the token of the current or last attempt's lease, or null once revoked
 * @param previousState the state before the job's last transition (null: it never changed)
 * @param seq insertion order, the FIFO tie-break of the claim order
 * @param endpoints where a serving job is reached (kept once it ends)
 * @param stopRequested StopJob was called on it
 * @param failedRetryable the retryable flag of the FailJob that ended it, else null
 */
public record Job(
    UUID id,
    String type,
    String queue,
    State state,
    State previousState,
    long seq,
    int progress,
    String stage,
    String message,
    String paramsJson,
    String resultJson,
    String errorMessage,
    int priority,
    int attempt,
    int maxAttempts,
    Duration timeout,
    Instant runAt,
    String owner,
    Map<String, String> labels,
    String idempotencyKey,
    boolean cancelRequested,
    String workerId,
    String leaseToken,
    Instant leaseExpireTime,
    long lastSequence,
    Instant createTime,
    Instant updateTime,
    Instant startTime,
    Instant finishTime,
    List<Endpoint> endpoints,
    boolean stopRequested,
    Boolean failedRetryable) {}

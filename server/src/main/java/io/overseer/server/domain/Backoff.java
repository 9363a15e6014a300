package io.overseer.server.domain;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** Retry delay: exponential from 1 s, capped at 10 min, with "equal jitter" (half fixed). */
public final class Backoff {
  static final Duration BASE = Duration.ofSeconds(1);
  static final Duration CAP = Duration.ofMinutes(10);

  private final RandomGenerator random;

  public Backoff(RandomGenerator random) {
    this.random = random;
  }

  /** Delay before attempt {@code attempt + 1}, after {@code attempt} failed ({@code attempt ≥ 1}). */
  public Duration afterAttempt(int attempt, Duration retryAfter) {
    long ceilingMs = CAP.toMillis();
    int doublings = Math.min(Math.max(attempt - 1, 0), 20);
    long expMs = Math.min(ceilingMs, BASE.toMillis() << doublings);
    long jittered = expMs / 2 + (long) (random.nextDouble() * (expMs / 2.0));
    long floorMs = retryAfter == null ? 0 : retryAfter.toMillis();
    return Duration.ofMillis(Math.max(jittered, floorMs));
  }
}

package io.overseer.server.domain;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/** Retry delay: exponential from 1 s, capped at 10 min, with "equal jitter" (half fixed). */
public final class Backoff {
  static final Duration BASE = Duration.ofSeconds(1);
  static final Duration CAP = Duration.ofMinutes(10);

  private final RandomGenerator random;

  public Backoff(RandomGenerator random) {
    this.random = random;
  }

  /**
   * The generator to draw from on this thread: a {@link ThreadLocalRandom} must be the calling
   * thread's own ({@code current()}); one captured on another thread and shared is the misuse its
   * documentation warns of (on JDK 17, threads that never called {@code current()} all draw the
   * same sequence, so every node's retries would jitter alike).
   */
  private RandomGenerator generator() {
    return random instanceof ThreadLocalRandom ? ThreadLocalRandom.current() : random;
  }

  /** Delay before attempt {@code attempt + 1}, after {@code attempt} failed ({@code attempt ≥ 1}). */
  public Duration afterAttempt(int attempt, Duration retryAfter) {
    long ceilingMs = CAP.toMillis();
    int doublings = Math.min(Math.max(attempt - 1, 0), 20);
    long expMs = Math.min(ceilingMs, BASE.toMillis() << doublings);
    long jittered = expMs / 2 + (long) (generator().nextDouble() * (expMs / 2.0));
    long floorMs = retryAfter == null ? 0 : retryAfter.toMillis();
    return Duration.ofMillis(Math.max(jittered, floorMs));
  }
}

package io.overseer.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter": the n-th delay is uniformly drawn from [d/2, d] where
 * d = min(max, initial * 2^n). Half the delay is guaranteed (so retries do back off), the other
 * half is random (so a fleet of clients that failed together does not retry together).
 *
 * <p>Not thread-safe: one instance per retry loop.
 */
public final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private int attempts;

  public Backoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max");
    }
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
  }

  /** 100 ms doubling up to 5 s: for calls that should recover quickly (watch, heartbeats). */
  public static Backoff fast() {
    return new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
  }

  /** 500 ms doubling up to 30 s: for polling loops (claims). */
  public static Backoff slow() {
    return new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  /** The next delay; each call doubles the ceiling until the maximum. */
  public Duration next() {
    long ceiling = initialMillis;
    for (int i = 0; i < attempts && ceiling < maxMillis; i++) {
      ceiling = Math.min(maxMillis, ceiling * 2);
    }
    attempts++;
    long half = ceiling / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
  }

  /** Starts over after a success. */
  public void reset() {
    attempts = 0;
  }

  /** How many delays were handed out since the last reset. */
  public int attempts() {
    return attempts;
  }

  /** Sleeps for the next delay; false (with the interrupt flag set again) when interrupted. */
  public boolean sleep() {
    try {
      Thread.sleep(next().toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}

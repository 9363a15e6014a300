package io.overseer.cli.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pairs two {@link System#nanoTime()} stamps taken for the same key on different threads (e.g. a
 * CreateJob returning to the producer, and the worker's handler starting for that job), whichever
 * comes first, and records the time from the first to the second. When the "to" event happened
 * before the "from" one (the worker got the job before CreateJob's response reached the
 * producer), the delay is recorded as 0 and counted in {@link #early()}.
 *
 * <p>Only pairs whose "to" stamp falls in the window set by {@link #window} are recorded (all by
 * default); the others are matched and dropped.
 */
final class Rendezvous {
  private static final long UNSET = Long.MIN_VALUE;

  private final ConcurrentHashMap<Object, long[]> pending = new ConcurrentHashMap<>();
  private final Samples samples;
  private final AtomicLong early = new AtomicLong();
  private final AtomicLong matched = new AtomicLong();
  private volatile long windowFrom = Long.MIN_VALUE;
  private volatile long windowUntil = Long.MAX_VALUE;

  Rendezvous(Samples samples) {
    this.samples = samples;
  }

  /** Records only pairs whose "to" stamp is in [from, until] (nanoTime values). */
  void window(long from, long until) {
    this.windowFrom = from;
    this.windowUntil = until;
  }

  void from(Object key, long nanos) {
    stamp(key, 0, nanos);
  }

  void to(Object key, long nanos) {
    stamp(key, 1, nanos);
  }

  private void stamp(Object key, int side, long nanos) {
    pending.compute(key, (k, pair) -> {
      long[] p = pair != null ? pair : new long[] {UNSET, UNSET};
      p[side] = nanos;
      if (p[0] == UNSET || p[1] == UNSET) {
        return p;
      }
      matched.incrementAndGet();
      if (p[1] >= windowFrom && p[1] <= windowUntil) {
        long delay = p[1] - p[0];
        if (delay < 0) {
          early.incrementAndGet();
        }
        samples.add(delay); // a negative delay counts as 0
      }
      return null;
    });
  }

  /** Drops a key that will never be matched (e.g. its call failed). */
  void forget(Object key) {
    pending.remove(key);
  }

  /** Keys stamped on one side only so far. */
  int pending() {
    return pending.size();
  }

  /** Pairs matched (recorded or outside the window). */
  long matched() {
    return matched.get();
  }

  /** Recorded pairs whose "to" came before their "from". */
  long early() {
    return early.get();
  }
}

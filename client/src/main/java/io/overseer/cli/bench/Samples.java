package io.overseer.cli.bench;

import java.util.Arrays;

/**
 * Durations recorded by many threads (in nanoseconds), summarised as percentiles in milliseconds.
 * A plain growable array, sorted once when summarised: exact, and small enough for the few
 * hundred thousand samples a run records.
 */
final class Samples {
  private long[] values = new long[1024];
  private int size;

  /** Records one duration; a negative one counts as 0. */
  synchronized void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = Math.max(0, nanos);
  }

  synchronized int count() {
    return size;
  }

  /** The percentiles of everything recorded so far; {@link Percentiles#EMPTY} if nothing was. */
  synchronized Percentiles percentiles() {
    return Percentiles.of(Arrays.copyOf(values, size));
  }

  /** p50, p95, p99, max (and mean, min, count) of a set of durations, in milliseconds. */
  record Percentiles(long count, double min, double mean, double p50, double p95, double p99,
      double max) {
    static final Percentiles EMPTY = new Percentiles(0, 0, 0, 0, 0, 0, 0);

    /** From durations in nanoseconds (the array is sorted in place). */
    static Percentiles of(long[] nanos) {
      if (nanos.length == 0) {
        return EMPTY;
      }
      Arrays.sort(nanos);
      double sum = 0;
      for (long v : nanos) {
        sum += v;
      }
      return new Percentiles(
          nanos.length,
          millis(nanos[0]),
          sum / nanos.length / 1e6,
          millis(rank(nanos, 50)),
          millis(rank(nanos, 95)),
          millis(rank(nanos, 99)),
          millis(nanos[nanos.length - 1]));
    }

    /**
     * Nearest-rank percentile of sorted values: the smallest value with at least {@code p}% of
     * the values at or below it (so p100 is the max, and p50 of 1..4 is 2).
     */
    static long rank(long[] sorted, double p) {
      if (sorted.length == 0) {
        throw new IllegalArgumentException("no values");
      }
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    boolean isEmpty() {
      return count == 0;
    }

    private static double millis(long nanos) {
      return nanos / 1e6;
    }
  }
}

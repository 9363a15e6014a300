package io.overseer.server.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting in tests: poll an observable condition with a deadline instead of sleeping. The probe
 * runs at once, then again after a pause that starts at 1 ms and doubles up to the poll interval
 * ({@link #INTERVAL} unless given). {@link #until} and {@link #value} fail with an
 * {@link AssertionError} naming what was awaited and the last value seen; {@link #eventually}
 * returns false instead, for callers that report the outcome themselves; {@link #holdsFor} is the
 * one way to let time pass ("nothing goes wrong within X"): it checks its condition throughout.
 *
 * <p>The pause between probes inside this class is the only sleep the tests use for waiting.
 * Probes may throw: unchecked exceptions pass through, checked ones arrive wrapped in an
 * {@link IllegalStateException}. An interrupt ends the wait (the probe is asked once more first).
 */
public final class Poll {
  /** The longest pause between two probes unless a caller gives its own. */
  public static final Duration INTERVAL = Duration.ofMillis(20);

  private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int MAX_SHOWN = 2_000;

  private Poll() {}

  /** A condition that may throw (SQL, I/O…). */
  @FunctionalInterface
  public interface Condition {
    boolean test() throws Exception;
  }

  /** A value to observe, which may throw. */
  @FunctionalInterface
  public interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls until {@code condition} holds; fails after {@code timeout}, naming {@code what}. */
  public static void until(Duration timeout, String what, Condition condition) {
    until(timeout, INTERVAL, () -> what, condition);
  }

  /** As {@link #until(Duration, String, Condition)}, with {@code what} built only on failure. */
  public static void until(Duration timeout, Supplier<String> what, Condition condition) {
    until(timeout, INTERVAL, what, condition);
  }

  /** As {@link #until(Duration, String, Condition)}, probing at most every {@code interval}. */
  public static void until(Duration timeout, Duration interval, String what, Condition condition) {
    until(timeout, interval, () -> what, condition);
  }

  private static void until(Duration timeout, Duration interval, Supplier<String> what, Condition condition) {
    value(timeout, interval, what, condition::test, Boolean::booleanValue);
  }

  /**
   * Polls {@code probe} until its value satisfies {@code done} and returns that value; fails after
   * {@code timeout} with {@code what} and the last value seen.
   */
  public static <T> T value(Duration timeout, String what, Probe<T> probe, Predicate<? super T> done) {
    return value(timeout, INTERVAL, () -> what, probe, done);
  }

  /** As {@link #value(Duration, String, Probe, Predicate)}, probing at most every {@code interval}. */
  public static <T> T value(Duration timeout, Duration interval, String what, Probe<T> probe, Predicate<? super T> done) {
    return value(timeout, interval, () -> what, probe, done);
  }

  private static <T> T value(Duration timeout, Duration interval, Supplier<String> what, Probe<T> probe,
      Predicate<? super T> done) {
    Outcome<T> o = poll(timeout, interval, probe, done);
    if (!o.reached && Thread.currentThread().isInterrupted()) {
      throw new IllegalStateException("interrupted while waiting: " + what.get() + "; last seen: " + shown(o.last));
    }
    if (!o.reached) {
      throw new AssertionError("not within " + timeout + ": " + what.get() + "; last seen: " + shown(o.last));
    }
    return o.last;
  }

  /**
   * Polls until {@code condition} holds, at most every {@code interval}; false if it did not
   * within {@code timeout}. For callers that report a miss themselves (after publishing figures).
   */
  public static boolean eventually(Duration timeout, Duration interval, Condition condition) {
    return poll(timeout, interval, condition::test, Boolean::booleanValue).reached;
  }

  /**
   * Lets {@code period} pass while checking that {@code condition} holds all along (at the start,
   * every {@link #INTERVAL}, and at the end); fails at the first check where it does not.
   * {@code condition} may also assert itself: an {@link AssertionError} it throws passes through.
   */
  public static void holdsFor(Duration period, String what, Condition condition) {
    holdsFor(period, INTERVAL, what, condition);
  }

  /** As {@link #holdsFor(Duration, String, Condition)}, checking every {@code interval}. */
  public static void holdsFor(Duration period, Duration interval, String what, Condition condition) {
    long start = System.nanoTime();
    long end = start + period.toNanos();
    while (true) {
      boolean last = System.nanoTime() - end >= 0;
      if (!test(condition)) {
        throw new AssertionError("did not hold for " + period + ": " + what + " (broke after "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms)");
      }
      if (last) {
        return;
      }
      pause(interval.toNanos(), interval, end);
      if (Thread.currentThread().isInterrupted()) {
        throw new IllegalStateException("interrupted while checking that " + what + " holds");
      }
    }
  }

  private record Outcome<T>(boolean reached, T last) {}

  private static <T> Outcome<T> poll(Duration timeout, Duration interval, Probe<T> probe, Predicate<? super T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = Math.min(FIRST_PAUSE_NANOS, interval.toNanos());
    while (true) {
      boolean last = System.nanoTime() - deadline >= 0;
      T value = get(probe);
      if (done.test(value)) {
        return new Outcome<>(true, value);
      }
      if (last || Thread.currentThread().isInterrupted()) {
        return new Outcome<>(false, value);
      }
      pause = pause(pause, interval, deadline);
    }
  }

  /** Parks for {@code pause} (never past {@code end}); returns the next, doubled, pause. */
  private static long pause(long pause, Duration interval, long end) {
    long left = end - System.nanoTime();
    // the poll interval: the only sleep of the tests' waiting
    LockSupport.parkNanos(Math.max(0, Math.min(pause, left)));
    return Math.min(pause * 2, Math.max(1, interval.toNanos()));
  }

  private static boolean test(Condition condition) {
    return Boolean.TRUE.equals(get(condition::test));
  }

  private static <T> T get(Probe<T> probe) {
    try {
      return probe.get();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("a poll's probe failed: " + e, e);
    }
  }

  private static String shown(Object value) {
    String s = String.valueOf(value);
    return s.length() <= MAX_SHOWN ? s : s.substring(0, MAX_SHOWN) + "… (" + s.length() + " chars)";
  }
}

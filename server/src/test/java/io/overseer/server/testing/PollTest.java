package io.overseer.server.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollTest {
  @Test
  void untilReturnsOnceTheConditionHolds() {
    AtomicInteger probes = new AtomicInteger();
    Poll.until(Duration.ofSeconds(5), "the fifth probe", () -> probes.incrementAndGet() >= 5);
    assertEquals(5, probes.get());
  }

  @Test
  void valueFailsAtTheDeadlineNamingWhatAndTheLastValue() {
    AtomicInteger probes = new AtomicInteger();
    long start = System.nanoTime();
    AssertionError e = assertThrows(AssertionError.class,
        () -> Poll.value(Duration.ofMillis(200), "a negative count", probes::incrementAndGet, n -> n < 0));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= 200 && tookMs < 2_000, "took " + tookMs + " ms");
    assertTrue(e.getMessage().contains("a negative count") && e.getMessage().endsWith("last seen: " + probes.get()), e.getMessage());
    assertTrue(probes.get() > 5, "polled repeatedly: " + probes.get());
  }

  @Test
  void eventuallyReportsAMissWithoutFailing() {
    assertFalse(Poll.eventually(Duration.ofMillis(50), Duration.ofMillis(10), () -> false));
    assertTrue(Poll.eventually(Duration.ofMillis(50), Duration.ofMillis(10), () -> true));
  }

  @Test
  void holdsForLetsThePeriodPassCheckingThroughout() {
    AtomicInteger checks = new AtomicInteger();
    long start = System.nanoTime();
    Poll.holdsFor(Duration.ofMillis(200), "always", () -> checks.incrementAndGet() > 0);
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= 200 && tookMs < 2_000, "took " + tookMs + " ms");
    assertTrue(checks.get() > 5, "checked repeatedly: " + checks.get());

    long[] brokenAt = {System.nanoTime() + 100_000_000L};
    AssertionError e = assertThrows(AssertionError.class,
        () -> Poll.holdsFor(Duration.ofSeconds(10), "the clock before its mark", () -> System.nanoTime() < brokenAt[0]));
    assertTrue(System.nanoTime() - brokenAt[0] < 2_000_000_000L, "failed at the first broken check, not at the end");
    assertTrue(e.getMessage().contains("the clock before its mark"), e.getMessage());
  }

  @Test
  void checkedExceptionsOfAProbeArriveWrapped() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Poll.until(Duration.ofSeconds(1), "a probe that throws", () -> {
          throw new IOException("boom");
        }));
    assertTrue(e.getCause() instanceof IOException);
  }

  @Test
  void anInterruptEndsTheWait() {
    Thread.currentThread().interrupt();
    try {
      assertThrows(IllegalStateException.class, () -> Poll.until(Duration.ofSeconds(30), "never", () -> false));
    } finally {
      assertTrue(Thread.interrupted(), "the interrupt stays set for the caller");
    }
  }
}

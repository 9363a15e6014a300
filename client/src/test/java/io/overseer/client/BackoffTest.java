package io.overseer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesWithJitterUpToTheCap() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));
    long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long ceiling : ceilings) {
      long delay = backoff.next().toMillis();
      assertTrue(delay >= ceiling / 2 && delay <= ceiling, delay + " outside " + ceiling);
    }
    backoff.reset();
    assertEquals(0, backoff.attempts());
    assertTrue(backoff.next().toMillis() <= 100);
  }
}

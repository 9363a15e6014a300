package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.cli.bench.Samples.Percentiles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesTest {
  private static final long MS = 1_000_000;

  @Test
  void nearestRankOfOneToHundred() {
    Samples samples = new Samples();
    for (int i = 100; i >= 1; i--) { // out of order on purpose
      samples.add(i * MS);
    }
    Percentiles p = samples.percentiles();
    assertEquals(100, p.count());
    assertEquals(1.0, p.min());
    assertEquals(50.0, p.p50());
    assertEquals(95.0, p.p95());
    assertEquals(99.0, p.p99());
    assertEquals(100.0, p.max());
    assertEquals(50.5, p.mean(), 1e-9);
  }

  @Test
  void nearestRankOfSmallSets() {
    assertEquals(2, Percentiles.rank(new long[] {1, 2, 3, 4}, 50));
    assertEquals(4, Percentiles.rank(new long[] {1, 2, 3, 4}, 99));
    assertEquals(1, Percentiles.rank(new long[] {1, 2, 3, 4}, 0));
    assertEquals(4, Percentiles.rank(new long[] {1, 2, 3, 4}, 100));
    assertEquals(7, Percentiles.rank(new long[] {7}, 50));
    // p99 of 1,000 values is the 990th: one slow call in a hundred shows
    long[] thousand = new long[1000];
    for (int i = 0; i < thousand.length; i++) {
      thousand[i] = i + 1;
    }
    assertEquals(990, Percentiles.rank(thousand, 99));
    assertEquals(950, Percentiles.rank(thousand, 95));
    assertEquals(500, Percentiles.rank(thousand, 50));
  }

  @Test
  void oneSlowOutlierIsTheMaxNotTheMedian() {
    Samples samples = new Samples();
    for (int i = 0; i < 999; i++) {
      samples.add(2 * MS);
    }
    samples.add(2_000 * MS);
    Percentiles p = samples.percentiles();
    assertEquals(2.0, p.p50());
    assertEquals(2.0, p.p99());
    assertEquals(2000.0, p.max());
  }

  @Test
  void emptyAndNegative() {
    Samples samples = new Samples();
    assertTrue(samples.percentiles().isEmpty());
    samples.add(-5 * MS); // a stamp pair in the "wrong" order counts as 0
    assertEquals(0.0, samples.percentiles().max());
    assertEquals(1, samples.count());
  }

  @Test
  void concurrentAddsAreAllKept() throws Exception {
    Samples samples = new Samples();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 10_000; i++) {
          samples.add(i);
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(80_000, samples.count());
  }
}

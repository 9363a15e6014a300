package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RendezvousTest {
  @Test
  void pairsInEitherOrder() {
    Samples samples = new Samples();
    Rendezvous r = new Rendezvous(samples);
    r.from("a", 1_000_000);
    r.to("a", 4_000_000); // 3 ms
    r.to("b", 10_000_000); // the handler started before CreateJob returned
    assertEquals(1, r.pending());
    r.from("b", 12_000_000);
    assertEquals(0, r.pending());
    assertEquals(2, r.matched());
    assertEquals(1, r.early());
    assertEquals(2, samples.count());
    assertEquals(3.0, samples.percentiles().max());
    assertEquals(0.0, samples.percentiles().min());
  }

  @Test
  void recordsOnlyPairsEndingInTheWindow() {
    Samples samples = new Samples();
    Rendezvous r = new Rendezvous(samples);
    r.window(100, 200);
    r.from("early", 10);
    r.to("early", 50);
    r.from("in", 90);
    r.to("in", 150);
    r.from("late", 190);
    r.to("late", 250);
    assertEquals(3, r.matched());
    assertEquals(1, samples.count());
  }

  @Test
  void forgottenKeysAreNotPending() {
    Rendezvous r = new Rendezvous(new Samples());
    r.from("x", 1);
    r.forget("x");
    assertEquals(0, r.pending());
  }
}

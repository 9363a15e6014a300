package io.overseer.chaos.model;

import io.grpc.Status;
import io.overseer.client.OverseerException;
import java.time.Instant;
import java.util.function.Supplier;

/** A call's answer or error, with when it was sent and when it returned (the test's clock). */
record Attempted<T>(T value, OverseerException error, Instant sent, Instant returned) {
  static <T> Attempted<T> of(Supplier<T> call) {
    Instant sent = Instant.now();
    try {
      T value = call.get();
      return new Attempted<>(value, null, sent, Instant.now());
    } catch (RuntimeException e) {
      return new Attempted<>(null, OverseerException.from(e), sent, Instant.now());
    }
  }

  boolean ok() {
    return error == null;
  }

  boolean leaseLost() {
    return error != null && error.isLeaseLost();
  }

  boolean invalidTransition() {
    return error != null && error.code() == Status.Code.FAILED_PRECONDITION && "INVALID_TRANSITION".equals(error.reason());
  }

  /** OK, LEASE_LOST, or the code and reason. */
  String outcome() {
    return ok() ? "OK" : leaseLost() ? "LEASE_LOST" : error.code() + " " + error.reason() + " (" + error.description() + ")";
  }
}

package io.overseer.chaos;

import io.grpc.Status;
import io.overseer.client.OverseerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** Every call a test made during a run: method, when, how long, and how it ended. Thread-safe. */
final class CallLog {
  private static final int MAX = 200_000;

  /** One call; {@code code} OK for a success. */
  record Call(String method, long startNanos, long durationNanos, Status.Code code, String reason, boolean retryInfo) {
    long endNanos() {
      return startNanos + durationNanos;
    }

    boolean ok() {
      return code == Status.Code.OK;
    }

    @Override
    public String toString() {
      return method + " " + code + (reason.isEmpty() ? "" : " " + reason) + (retryInfo ? " +RetryInfo" : "")
          + " in " + durationNanos / 1_000_000 + " ms";
    }
  }

  private final List<Call> calls = new ArrayList<>();

  /** Runs {@code rpc}, records how it ended, and returns its result or rethrows its failure. */
  <T> T record(String method, Supplier<T> rpc) {
    long start = System.nanoTime();
    try {
      T result = rpc.get();
      add(new Call(method, start, System.nanoTime() - start, Status.Code.OK, "", false));
      return result;
    } catch (RuntimeException e) {
      OverseerException error = OverseerException.from(e);
      add(new Call(method, start, System.nanoTime() - start, error.code(), error.reason(), error.retryDelay().isPresent()));
      throw error;
    }
  }

  private synchronized void add(Call call) {
    if (calls.size() < MAX) {
      calls.add(call);
    }
  }

  synchronized List<Call> calls() {
    return new ArrayList<>(calls);
  }

  /** Calls that started in [fromNanos, toNanos). */
  synchronized List<Call> between(long fromNanos, long toNanos) {
    return calls.stream().filter(c -> c.startNanos() >= fromNanos && c.startNanos() < toNanos).toList();
  }

  /** Counts by "method CODE reason", for messages. */
  static Map<String, Integer> summary(List<Call> calls) {
    Map<String, Integer> m = new TreeMap<>();
    for (Call c : calls) {
      m.merge(c.method() + " " + c.code() + (c.reason().isEmpty() ? "" : " " + c.reason())
          + (c.ok() ? "" : c.retryInfo() ? " +RetryInfo" : " noRetryInfo"), 1, Integer::sum);
    }
    return m;
  }
}

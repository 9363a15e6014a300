package io.overseer.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a resumable stream of sequenced items (a job's events, its log lines) to its end,
 * reconnecting after UNAVAILABLE (a node restarting or shutting down) with the last sequence it
 * delivered, so the consumer sees every item exactly once and in order, across nodes. It gives up
 * with the last error after failing to reconnect for {@code reconnectTimeout}; other errors, and
 * exceptions thrown by the consumer, end it at once.
 */
final class StreamFollower<T> {
  private static final Logger log = LoggerFactory.getLogger(OverseerClient.class);

  private final String what;
  private final LongFunction<ServerStream<T>> open;
  private final ToLongFunction<T> sequence;
  private final Predicate<T> last;
  private final Duration reconnectTimeout;

  /**
   * @param what names the stream in logs and errors ("job X", "the log of job X")
   * @param open opens the stream after a sequence
   * @param last whether an item is the stream's last (the stream may also just end)
   */
  StreamFollower(String what, LongFunction<ServerStream<T>> open, ToLongFunction<T> sequence, Predicate<T> last,
      Duration reconnectTimeout) {
    this.what = what;
    this.open = open;
    this.sequence = sequence;
    this.last = last;
    this.reconnectTimeout = reconnectTimeout;
  }

  /** Hands each item after {@code afterSequence} to {@code consumer}; returns the last one, or null if none. */
  T follow(long afterSequence, Consumer<T> consumer) {
    long lastSequence = afterSequence;
    T lastItem = null;
    Backoff backoff = Backoff.fast();
    long failingSince = 0; // System.nanoTime() of the first failure in a row; 0: none
    while (true) {
      try (ServerStream<T> stream = openAfter(lastSequence)) {
        while (true) {
          T item;
          try {
            if (!stream.hasNext()) {
              return lastItem;
            }
            item = stream.next();
          } catch (OverseerException e) {
            throw Reconnect.orRethrow(e);
          }
          if (sequence.applyAsLong(item) <= lastSequence) {
            continue; // defensive: never deliver an item twice
          }
          lastSequence = sequence.applyAsLong(item);
          lastItem = item;
          backoff.reset();
          failingSince = 0;
          consumer.accept(item); // its exceptions are not Reconnect: they end the follow
          if (last.test(item)) {
            return item;
          }
        }
      } catch (Reconnect reconnect) {
        long now = System.nanoTime();
        if (failingSince == 0) {
          failingSince = now;
        } else if (now - failingSince > reconnectTimeout.toNanos()) {
          throw reconnect.failure;
        }
        log.debug("watch of {} broke off ({}), resuming after sequence {}", what, reconnect.failure.getMessage(), lastSequence);
        if (!backoff.sleep()) {
          throw OverseerException.from(
              Status.CANCELLED.withDescription("interrupted while watching " + what).asRuntimeException());
        }
      }
    }
  }

  private ServerStream<T> openAfter(long afterSequence) {
    try {
      return open.apply(afterSequence);
    } catch (OverseerException e) {
      throw Reconnect.orRethrow(e);
    }
  }

  /** Carries an UNAVAILABLE stream failure, and only that, to the reconnect logic. */
  private static final class Reconnect extends RuntimeException {
    final OverseerException failure;

    private Reconnect(OverseerException failure) {
      super(null, null, false, false);
      this.failure = failure;
    }

    static RuntimeException orRethrow(OverseerException e) {
      return e.code() == Status.Code.UNAVAILABLE ? new Reconnect(e) : e;
    }
  }
}

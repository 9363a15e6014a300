package io.overseer.chaos;

import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.client.Structs;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates jobs through the Java client, each with an idempotency key, retrying transient failures
 * with the same keys (so a create whose answer was lost is neither lost nor doubled). A job counts
 * as acknowledged once a create returned it. Either in batches on the caller's thread, or paced
 * on a thread of its own.
 */
final class Producer implements AutoCloseable {
  private final OverseerClient client;
  private final String queue;
  private final String keyPrefix;
  private final int maxAttempts;
  private final CallLog calls;
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong lastAckNanos = new AtomicLong();
  private volatile boolean stopped;
  private volatile RuntimeException failure;
  private Thread pacer;

  Producer(OverseerClient client, String queue, String keyPrefix, int maxAttempts, CallLog calls) {
    this.client = client;
    this.queue = queue;
    this.keyPrefix = keyPrefix;
    this.maxAttempts = maxAttempts;
    this.calls = calls;
  }

  /** Creates {@code n} jobs of {@code type} in batches of up to 1,000; returns their ids. */
  List<String> create(String type, int n, Duration retryBudget) throws InterruptedException {
    List<String> ids = new ArrayList<>();
    while (ids.size() < n) {
      List<CreateJobRequest> batch = new ArrayList<>();
      for (int i = 0; i < Math.min(1000, n - ids.size()); i++) {
        batch.add(request(type));
      }
      List<Job> jobs = createWithRetries(batch, retryBudget);
      if (jobs == null) {
        throw new IllegalStateException("could not create jobs within " + retryBudget);
      }
      jobs.forEach(j -> ids.add(j.getId()));
    }
    return ids;
  }

  /** Creates {@code perTick} jobs of {@code type} every {@code tick} on a thread, until {@link #stop}. */
  void startPaced(String type, int perTick, Duration tick) {
    pacer = new Thread(() -> {
      long next = System.nanoTime();
      while (!stopped) {
        List<CreateJobRequest> batch = new ArrayList<>();
        for (int i = 0; i < perTick; i++) {
          batch.add(request(type));
        }
        try {
          if (createWithRetries(batch, Duration.ofSeconds(120)) == null) {
            return; // stopped
          }
          next += tick.toNanos();
          long sleep = next - System.nanoTime();
          if (sleep > 0) {
            Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000)); // pacing, not synchronisation
          } else {
            next = System.nanoTime(); // fell behind (an outage): do not burst to catch up
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          failure = e; // a permanent error: the test reports it
          return;
        }
      }
    }, "chaos-producer");
    pacer.setDaemon(true);
    pacer.start();
  }

  private CreateJobRequest request(String type) {
    long n = sequence.incrementAndGet();
    return CreateJobRequest.newBuilder()
        .setType(type)
        .setQueue(queue)
        .setMaxAttempts(maxAttempts)
        .setIdempotencyKey(keyPrefix + "-" + n)
        .setParams(Structs.toStruct(Map.of("n", n)))
        .build();
  }

  /** Null if the budget ran out (or the producer was stopped) before a create succeeded. */
  private List<Job> createWithRetries(List<CreateJobRequest> batch, Duration budget) throws InterruptedException {
    long giveUp = System.nanoTime() + budget.toNanos();
    long backoffMs = 100;
    while (true) {
      try {
        List<Job> jobs = calls.record("BatchCreateJobs", () -> client.batchCreate(batch));
        jobs.forEach(j -> acknowledged.add(j.getId()));
        lastAckNanos.set(System.nanoTime());
        return jobs;
      } catch (OverseerException e) {
        if (!e.isTransient() || System.nanoTime() > giveUp || stopped) {
          if (!e.isTransient()) {
            throw e;
          }
          return null;
        }
        Thread.sleep(backoffMs); // retry pacing
        backoffMs = Math.min(1000, backoffMs * 2);
      }
    }
  }

  /** A permanent error that stopped the paced producer, or null. */
  RuntimeException failure() {
    return failure;
  }

  /** Ids of every job a create returned. */
  Set<String> acknowledged() {
    return Set.copyOf(acknowledged);
  }

  /** System.nanoTime() of the last successful create (0 if none). */
  long lastAckNanos() {
    return lastAckNanos.get();
  }

  void stop() throws InterruptedException {
    stopped = true;
    if (pacer != null) {
      pacer.join(15_000); // let the create in flight finish, so its jobs are counted
      if (pacer.isAlive()) {
        pacer.interrupt();
        pacer.join(15_000);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}

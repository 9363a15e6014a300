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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates jobs through the Java client, each with an idempotency key, retrying transient failures
 * with the same keys (so a create whose answer was lost is neither lost nor doubled). A job counts
 * as acknowledged once a create returned it. Either in batches for a caller that waits, or paced
 * at a steady rate; either way on a scheduler of its own, whose delays pace ticks and retries.
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
  /** Runs every create and paces them (ticks, retry back-offs) with its delays; one thread. */
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "chaos-producer");
    t.setDaemon(true);
    return t;
  });
  private volatile CompletableFuture<Void> paced; // completes when the paced producer ends
  private long nextTickNanos; // only on the scheduler's thread

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
      List<Job> jobs;
      try {
        jobs = send(batch, retryBudget).get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      }
      if (jobs == null) {
        throw new IllegalStateException("could not create jobs within " + retryBudget);
      }
      jobs.forEach(j -> ids.add(j.getId()));
    }
    return ids;
  }

  /** Creates {@code perTick} jobs of {@code type} every {@code tick} on the scheduler, until {@link #stop}. */
  void startPaced(String type, int perTick, Duration tick) {
    paced = new CompletableFuture<>();
    nextTickNanos = System.nanoTime();
    if (!schedule(() -> tick(type, perTick, tick.toNanos()), 0)) {
      throw new IllegalStateException("the producer was stopped");
    }
  }

  /** One tick of the paced producer: a batch, then the next tick scheduled at the offered rate. */
  private void tick(String type, int perTick, long tickNanos) {
    if (stopped) {
      paced.complete(null);
      return;
    }
    List<CreateJobRequest> batch = new ArrayList<>();
    for (int i = 0; i < perTick; i++) {
      batch.add(request(type));
    }
    send(batch, Duration.ofSeconds(120)).whenComplete((jobs, error) -> {
      if (error != null) {
        failure = error instanceof RuntimeException r ? r : new IllegalStateException(error); // a permanent error: the test reports it
        paced.complete(null);
        return;
      }
      if (jobs == null) {
        paced.complete(null); // stopped
        return;
      }
      nextTickNanos += tickNanos;
      long delay = nextTickNanos - System.nanoTime();
      if (delay <= 0) {
        nextTickNanos = System.nanoTime(); // fell behind (an outage): do not burst to catch up
        delay = 0;
      }
      if (!schedule(() -> tick(type, perTick, tickNanos), delay)) {
        paced.complete(null); // stopped
      }
    });
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

  /**
   * Sends the batch on the scheduler, retrying transient failures (after 100 ms, doubling up to
   * 1 s) with the same keys. Completes with the jobs; with null if the budget ran out (or the
   * producer was stopped) before a create succeeded; exceptionally on a permanent error.
   */
  private CompletableFuture<List<Job>> send(List<CreateJobRequest> batch, Duration budget) {
    CompletableFuture<List<Job>> result = new CompletableFuture<>();
    long giveUp = System.nanoTime() + budget.toNanos();
    if (!schedule(() -> attempt(batch, giveUp, 100, result), 0)) {
      result.complete(null); // stopped
    }
    return result;
  }

  private void attempt(List<CreateJobRequest> batch, long giveUp, long backoffMs, CompletableFuture<List<Job>> result) {
    try {
      List<Job> jobs = calls.record("BatchCreateJobs", () -> client.batchCreate(batch));
      jobs.forEach(j -> acknowledged.add(j.getId()));
      lastAckNanos.set(System.nanoTime());
      result.complete(jobs);
    } catch (OverseerException e) {
      if (!e.isTransient()) {
        result.completeExceptionally(e);
      } else if (System.nanoTime() > giveUp || stopped) {
        result.complete(null);
      } else {
        if (!schedule(() -> attempt(batch, giveUp, Math.min(1000, backoffMs * 2), result), TimeUnit.MILLISECONDS.toNanos(backoffMs))) {
          result.complete(null); // stopped
        }
      }
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  /** Runs {@code task} on the scheduler after {@code delayNanos} (the producer's only pacing); false once stopped. */
  private boolean schedule(Runnable task, long delayNanos) {
    try {
      scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
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
    if (paced != null) {
      try {
        paced.get(15, TimeUnit.SECONDS); // let the create in flight finish, so its jobs are counted
      } catch (TimeoutException | ExecutionException e) {
        // stuck in a call: interrupted below
      }
    }
    scheduler.shutdownNow();
    scheduler.awaitTermination(15, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}

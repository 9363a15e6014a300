package io.overseer.cli.bench;

import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.Worker;
import io.overseer.client.worker.WorkerListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * W {@link Worker} runtimes, each with its own client (its own TCP connection, as separate worker
 * processes would have), sharing J jobs in flight as evenly as possible (J/W each), each claiming
 * {@code prefetch(its share)} jobs ahead.
 */
final class WorkerPool implements AutoCloseable {
  /** In flight per worker when --workers is 0: one runtime for the peers' c=8 and c=32 alike. */
  static final int AUTO_IN_FLIGHT_PER_WORKER = 32;

  /** How many workers --workers 0 means for {@code inFlight} jobs in flight. */
  static int autoWorkers(int inFlight) {
    return Math.max(1, (inFlight + AUTO_IN_FLIGHT_PER_WORKER - 1) / AUTO_IN_FLIGHT_PER_WORKER);
  }

  private final List<OverseerClient> clients = new ArrayList<>();
  private final List<Worker> workers = new ArrayList<>();

  WorkerPool(
      Supplier<OverseerClient> connect,
      int count,
      int inFlight,
      IntUnaryOperator prefetch,
      String queue,
      String type,
      JobHandler handler,
      WorkerListener listener) {
    if (count < 1 || inFlight < count) {
      throw new IllegalArgumentException("need 1 <= workers <= in-flight, got " + count
          + " worker(s) for " + inFlight + " in flight");
    }
    String prefix = "bench-" + ProcessHandle.current().pid() + "-"
        + Long.toHexString(System.nanoTime() & 0xffffff) + "-";
    int[] sizes = split(inFlight, count);
    try {
      for (int i = 0; i < count; i++) {
        int concurrency = sizes[i];
        OverseerClient client = connect.get();
        clients.add(client);
        workers.add(Worker.builder()
            .client(client)
            .workerId(prefix + i)
            .queues(queue)
            .concurrency(concurrency)
            .prefetch(prefetch.applyAsInt(concurrency))
            .claimWait(Duration.ofSeconds(10))
            .shutdownTimeout(Duration.ofSeconds(10))
            .handler(type, handler)
            .listener(listener)
            .build());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** How J jobs in flight are split over W workers: {@code [9, 8, 8]} for J=25, W=3. */
  static int[] split(int inFlight, int count) {
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = inFlight / count + (i < inFlight % count ? 1 : 0);
    }
    return out;
  }

  WorkerPool start() {
    workers.forEach(Worker::start);
    return this;
  }

  /** Jobs claimed and not yet reported, over all workers. */
  int activeJobs() {
    return workers.stream().mapToInt(Worker::activeJobs).sum();
  }

  /** Stops every worker (in parallel; running jobs get 10 s) and closes their clients. */
  @Override
  public void close() {
    List<Thread> stopping = new ArrayList<>();
    for (Worker worker : workers) {
      Thread t = new Thread(() -> worker.shutdown(Duration.ofSeconds(10)), "bench-stop-worker");
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    clients.forEach(OverseerClient::close);
  }
}

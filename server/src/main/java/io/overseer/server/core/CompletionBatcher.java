package io.overseer.server.core;

import io.grpc.Status;
import io.overseer.server.domain.Job;
import io.overseer.server.store.Database;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LeaseRepository.Completion;
import io.overseer.server.store.StoreException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit for CompleteJob: concurrent completions wait in a queue, and each flusher writes
 * whatever has piled up as one statement and one commit. No timer: a lone completion is written at
 * once, and batches grow only while the database is busy with the previous ones. Every caller gets
 * its answer only after the commit that made its change durable.
 */
public final class CompletionBatcher implements AutoCloseable {
  static final int MAX_BATCH = 256;

  private record Pending(Completion completion, CompletableFuture<Optional<Job>> result) {}

  private final Database db;
  private final LeaseRepository leases;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> flushers = new ArrayList<>();

  public CompletionBatcher(Database db, LeaseRepository leases, int flusherThreads) {
    this.db = db;
    this.leases = leases;
    for (int i = 0; i < flusherThreads; i++) {
      Thread t = new Thread(this::flushLoop, "overseer-complete-" + (i + 1));
      t.setDaemon(true);
      t.start();
      flushers.add(t);
    }
  }

  /**
   * The job as completed, or empty if its lease was not live (the caller explains why). Waits no
   * longer than the call's deadline allows: past it, the call fails UNAVAILABLE though the
   * completion may still be written (repeating the same CompleteJob is safe).
   */
  public Optional<Job> complete(Completion completion) {
    Pending p = new Pending(completion, new CompletableFuture<>());
    queue.add(p);
    long waitMs = Database.callWaitMillis();
    try {
      return waitMs < 0 ? p.result().get() : p.result().get(waitMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new StoreException(new SQLTransientException(
          "the completion was not written before the call's deadline (it may still be); repeating the same CompleteJob is safe"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.UNAVAILABLE.withDescription("the server is shutting down").asRuntimeException();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  private void flushLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!Thread.currentThread().isInterrupted()) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      flush(batch);
      batch.clear();
    }
  }

  private void flush(List<Pending> batch) {
    List<Completion> completions = batch.stream().map(Pending::completion).toList();
    List<Job> changed;
    try {
      changed = db.autocommit(c -> leases.completeAll(c, completions));
    } catch (RuntimeException e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
      return;
    }
    Map<UUID, Job> byId = new HashMap<>();
    changed.forEach(j -> byId.put(j.id(), j));
    for (Pending p : batch) {
      // a job completed twice in one batch changed once: only the matching call gets the row
      Job j = byId.remove(p.completion().id());
      boolean mine = j != null && j.leaseToken().equals(p.completion().leaseToken()) && j.state() == p.completion().target();
      p.result().complete(mine ? Optional.of(j) : Optional.empty());
      if (j != null && !mine) {
        byId.put(j.id(), j);
      }
    }
  }

  /** Stops the flushers; call after the server stopped taking calls. */
  @Override
  public void close() {
    flushers.forEach(Thread::interrupt);
  }
}

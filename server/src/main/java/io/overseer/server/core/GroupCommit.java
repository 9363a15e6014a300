package io.overseer.server.core;

import io.grpc.Status;
import io.overseer.server.store.Database;
import io.overseer.server.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit: concurrent writes of one kind wait in a queue, and each flusher writes whatever has
 * piled up in one transaction, so many calls share one commit (the database's cost per call is
 * mostly its commit's WAL flush). No timer: a lone write goes at once, and batches grow only while
 * the database is busy with the previous ones. Every caller gets its answer only after the commit
 * that made its change durable.
 *
 * <p>A batch that fails for a reason other than the database being unreachable is written again
 * one item at a time, so one bad item never fails the calls it happened to share a batch with.
 */
public final class GroupCommit<T, R> implements AutoCloseable {
  /** Writes a batch in one transaction; returns one result per item, in the items' order. */
  @FunctionalInterface
  public interface BatchWrite<T, R> {
    List<R> write(Connection connection, List<T> items) throws SQLException;
  }

  private record Pending<T, R>(T item, CompletableFuture<R> result) {}

  private final Database db;
  private final BatchWrite<T, R> write;
  private final int maxBatch;
  private final String what;
  private final BlockingQueue<Pending<T, R>> queue = new LinkedBlockingQueue<>();
  private final List<Thread> flushers = new ArrayList<>();

  /**
   * @param what names the write in the error a caller gets past its deadline ("CompleteJob")
   * @param flusherThreads how many batches may be in the database at once
   */
  public GroupCommit(Database db, String what, int maxBatch, int flusherThreads, BatchWrite<T, R> write) {
    this.db = db;
    this.what = what;
    this.maxBatch = maxBatch;
    this.write = write;
    for (int i = 0; i < flusherThreads; i++) {
      Thread t = new Thread(this::flushLoop, "overseer-" + what + "-" + (i + 1));
      t.setDaemon(true);
      t.start();
      flushers.add(t);
    }
  }

  /**
   * The item's result once committed. Waits no longer than the call's deadline allows: past it,
   * the call fails UNAVAILABLE though the write may still happen, as with any call whose answer is
   * lost (an idempotency key makes the repeat safe).
   */
  public R submit(T item) {
    return submitAll(List.of(item)).get(0).get();
  }

  /** One item's result, or the exception its caller gets. */
  public record Outcome<R>(R value, RuntimeException error) {
    /** The value, or throws the error. */
    public R get() {
      if (error != null) {
        throw error;
      }
      return value;
    }
  }

  /**
   * {@link #submit} for several items at once (they usually share one batch): the results in
   * the items' order, each the item's result or the exception a lone {@code submit} would have
   * thrown. Past the call's deadline the items not yet answered get the deadline's error.
   */
  public List<Outcome<R>> submitAll(List<T> items) {
    List<Pending<T, R>> pending = new ArrayList<>(items.size());
    for (T item : items) {
      pending.add(new Pending<>(item, new CompletableFuture<>()));
    }
    queue.addAll(pending);
    long waitMs = Database.callWaitMillis();
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(waitMs, 0));
    List<Outcome<R>> results = new ArrayList<>(items.size());
    for (Pending<T, R> p : pending) {
      results.add(await(p.result(), waitMs < 0 ? -1 : Math.max(0, until - System.nanoTime())));
    }
    return results;
  }

  /** {@code nanos < 0} waits without limit. */
  private Outcome<R> await(CompletableFuture<R> result, long nanos) {
    try {
      return new Outcome<>(nanos < 0 ? result.get() : result.get(nanos, TimeUnit.NANOSECONDS), null);
    } catch (TimeoutException e) {
      return failed(new StoreException(new SQLTransientException("the " + what
          + " was not written before the call's deadline (it may still be); repeating the same call is safe")));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(Status.UNAVAILABLE.withDescription("the server is shutting down").asRuntimeException());
    } catch (ExecutionException e) {
      return failed(e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
    }
  }

  private static <R> Outcome<R> failed(RuntimeException e) {
    return new Outcome<>(null, e);
  }

  private void flushLoop() {
    List<Pending<T, R>> batch = new ArrayList<>();
    while (!Thread.currentThread().isInterrupted()) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch, maxBatch - 1);
      if (!flush(batch) && batch.size() > 1) {
        batch.forEach(p -> flush(List.of(p)));
      }
      batch.clear();
    }
  }

  /** False when the batch failed and should be tried again item by item. */
  private boolean flush(List<Pending<T, R>> batch) {
    List<T> items = batch.stream().map(Pending::item).toList();
    List<R> results;
    try {
      results = db.transaction(c -> write.write(c, items));
    } catch (RuntimeException e) {
      boolean unreachable = e instanceof StoreException s && s.isUnavailable();
      if (batch.size() > 1 && !unreachable) {
        return false;
      }
      batch.forEach(p -> p.result().completeExceptionally(e));
      return true;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result().complete(results.get(i));
    }
    return true;
  }

  /** Stops the flushers; call after the server stopped taking calls. */
  @Override
  public void close() {
    flushers.forEach(Thread::interrupt);
  }
}

package io.overseer.server.tail;

import io.overseer.server.domain.OutOfRangeException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Streams of items stored per job (a {@link TailSource}), each sent to a {@link TailSink}, from a
 * given sequence on: what is stored, then what comes, to the last item. The one place a stream
 * kind is added (events, logs) and the one every transport (gRPC, Server-Sent Events) uses.
 *
 * <p>One shared listener per node feeds {@link #notice} (job id and sequence); no stream has a
 * thread or a connection of its own. A stream never buffers items: a notice only marks it dirty,
 * and a pump reads the items after the last one sent from the database, sending while the sink is
 * ready. A slow consumer stops being pumped until its sink's on-ready hook, then catches up from
 * the table; memory per stream stays constant whatever the job produces. The safety poll re-pumps
 * the streams whose notice was lost, {@link #resync} all of them.
 */
public final class Tail<T> implements AutoCloseable {
  private static final int POLL_CHUNK = 1_000;

  private final TailSource<T> source;
  private final int pageSize;
  private final Supplier<? extends RuntimeException> shuttingDown;
  private final Map<UUID, Set<Stream>> byJob = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  private final ExecutorService pumps;
  private final ScheduledExecutorService safetyPoll;
  private volatile boolean closed;

  /**
   * @param name names the threads: {@code overseer-NAME-pump-N} and {@code overseer-NAME-poll}
   * @param shuttingDown the error streams end with on {@link #close()} (clients resume elsewhere)
   */
  public Tail(
      String name,
      TailSource<T> source,
      int pageSize,
      int pumpThreads,
      long safetyPollMs,
      Supplier<? extends RuntimeException> shuttingDown) {
    this.source = source;
    this.pageSize = pageSize;
    this.shuttingDown = shuttingDown;
    AtomicInteger n = new AtomicInteger();
    this.pumps = Executors.newFixedThreadPool(pumpThreads, r -> daemon(r, "overseer-" + name + "-pump-" + n.incrementAndGet()));
    this.safetyPoll = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "overseer-" + name + "-poll"));
    safetyPoll.scheduleWithFixedDelay(this::pollBehind, safetyPollMs, safetyPollMs, TimeUnit.MILLISECONDS);
  }

  /** Streams currently open. */
  public int activeStreams() {
    return active.get();
  }

  /**
   * Starts a watch where every watch starts: at or past the last stored item of a terminal job it
   * ends at once (OK); past the last item of a live job it is OUT_OF_RANGE, before any stream;
   * else {@link #open}.
   *
   * @param item what the items are called in the error ("event", "log line")
   */
  public void start(UUID jobId, long afterSequence, long lastSequence, boolean terminal, String item, TailSink<T> sink) {
    if (afterSequence >= lastSequence && terminal) {
      sink.complete();
      return;
    }
    if (afterSequence > lastSequence) {
      throw new OutOfRangeException(
          "SEQUENCE_OUT_OF_RANGE",
          "after_sequence " + afterSequence + " is past the last " + item + " (" + lastSequence + ") of job " + jobId,
          Map.of("job_id", jobId.toString(), "last_sequence", Long.toString(lastSequence)),
          "pass the sequence of the last " + item + " you received, or 0 for all " + item + "s");
    }
    open(jobId, afterSequence, sink);
  }

  /**
   * Streams the items of {@code jobId} after {@code afterSequence} to {@code sink}, until the last
   * one, the client's cancel, or {@link #close()}. Throws the shutting-down error if closed.
   */
  public void open(UUID jobId, long afterSequence, TailSink<T> sink) {
    if (closed) {
      throw shuttingDown.get();
    }
    Stream s = new Stream(jobId, afterSequence, sink);
    sink.setOnCancel(s::cancelled);
    sink.setOnReady(s::requestPump);
    // add under the map's per-key lock: a concurrent remove() of the job's last stream must not
    // drop the set this stream is being added to (it would never hear of the job's items again)
    byJob.compute(
        jobId,
        (k, streams) -> {
          Set<Stream> set = streams != null ? streams : ConcurrentHashMap.newKeySet();
          set.add(s);
          return set;
        });
    active.incrementAndGet();
    if (closed) {
      s.end(shuttingDown.get()); // close() may have ended every stream before this one was added
      return;
    }
    s.requestPump();
  }

  /** The items of {@code jobId} now reach {@code sequence}: pumps its streams that are behind. */
  public void notice(UUID jobId, long sequence) {
    Set<Stream> streams = byJob.get(jobId);
    if (streams != null) {
      for (Stream s : streams) {
        if (sequence > s.lastSent) {
          s.requestPump();
        }
      }
    }
  }

  /** Notices may have been lost (a listener reconnected): pumps every stream. */
  public void resync() {
    for (Set<Stream> streams : byJob.values()) {
      streams.forEach(Stream::requestPump);
    }
  }

  /**
   * The safety poll: pumps the streams that are behind their job, found with one read per
   * {@link #POLL_CHUNK} watched jobs rather than one per stream (at 10,000 streams a pump of every
   * stream would be a burst of 10,000 reads that delays live items).
   */
  private void pollBehind() {
    List<UUID> watched = List.copyOf(byJob.keySet());
    for (int from = 0; from < watched.size() && !closed; from += POLL_CHUNK) {
      List<UUID> chunk = watched.subList(from, Math.min(watched.size(), from + POLL_CHUNK));
      Map<UUID, Long> newest;
      try {
        newest = source.newest(chunk);
      } catch (RuntimeException e) {
        return; // the database is away: the next poll tries again
      }
      for (UUID id : chunk) {
        Long upTo = newest.get(id);
        Set<Stream> streams = byJob.get(id);
        if (streams != null) {
          streams.stream().filter(s -> upTo == null || upTo > s.lastSent).forEach(Stream::requestPump);
        }
      }
    }
  }

  /** Ends every stream with the shutting-down error. */
  @Override
  public void close() {
    closed = true;
    safetyPoll.shutdownNow();
    for (Set<Stream> streams : byJob.values()) {
      for (Stream s : streams) {
        s.end(shuttingDown.get());
      }
    }
    pumps.shutdownNow();
  }

  private final class Stream {
    final UUID jobId;
    final TailSink<T> sink;
    final AtomicBoolean scheduled = new AtomicBoolean();
    final AtomicBoolean dirty = new AtomicBoolean();
    final AtomicBoolean registered = new AtomicBoolean(true);
    volatile long lastSent;
    volatile boolean done; // set under this, except by cancelled()

    Stream(UUID jobId, long after, TailSink<T> sink) {
      this.jobId = jobId;
      this.lastSent = after;
      this.sink = sink;
    }

    /** At most one pump per stream runs; a request during it makes it loop once more. */
    void requestPump() {
      dirty.set(true);
      if (scheduled.compareAndSet(false, true)) {
        try {
          pumps.execute(this::pump);
        } catch (RejectedExecutionException e) {
          scheduled.set(false);
        }
      }
    }

    private void pump() {
      try {
        while (dirty.getAndSet(false)) {
          drain();
        }
      } catch (RuntimeException e) {
        end(e);
      } finally {
        scheduled.set(false);
      }
      if (dirty.get()) {
        requestPump(); // a notice arrived after the loop's last check
      }
    }

    /** Sends stored items after lastSent while the sink is ready (checked before every item). */
    private synchronized void drain() {
      while (!done && !sink.isCancelled() && sink.isReady()) {
        List<T> page = source.page(jobId, lastSent, pageSize);
        if (page.isEmpty()) {
          if (source.isDone(jobId, lastSent)) {
            finish();
          }
          return;
        }
        for (T item : page) {
          if (done) {
            return;
          }
          if (!sink.isReady()) {
            return; // the rest of the page is read again after the on-ready hook: never queued here
          }
          sink.send(item);
          lastSent = source.sequence(item);
          if (source.isLast(item)) {
            finish();
            return;
          }
        }
      }
    }

    private void finish() {
      done = true;
      remove(); // first: once the client sees the end, the stream is gone here too
      sink.complete();
    }

    synchronized void end(RuntimeException error) {
      if (!done) {
        done = true;
        remove();
        sink.fail(error);
      }
    }

    /** The client went away: stop at once (a running drain sees {@code done}) and forget it. */
    void cancelled() {
      done = true;
      remove();
    }

    void remove() {
      if (registered.compareAndSet(true, false)) {
        // the set is removed with its last stream, under the map's per-key lock (see open)
        byJob.computeIfPresent(
            jobId,
            (k, streams) -> {
              streams.remove(this);
              return streams.isEmpty() ? null : streams;
            });
        active.decrementAndGet();
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

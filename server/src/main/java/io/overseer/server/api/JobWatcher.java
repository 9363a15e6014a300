package io.overseer.server.api;

import com.google.rpc.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.OutOfRangeException;
import io.overseer.server.domain.Principal;
import io.overseer.server.core.JobOperations;
import io.overseer.server.signal.Signals;
import io.overseer.server.store.Database;
import io.overseer.server.store.EventRepository;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves WatchJob streams. One shared listener per node (this object, fed by {@link Signals})
 * fans event notices out to the streams of that job; no stream has a thread or a connection of
 * its own.
 *
 * <p>A stream never buffers events: a notice only marks it dirty, and a pump reads the events
 * after the last one sent from the database, sending while the transport is ready. A slow
 * subscriber stops being pumped until {@code onReady}, then catches up from the table; memory
 * per stream stays constant whatever the job produces. The safety poll re-pumps streams whose
 * notice was lost.
 */
public final class JobWatcher implements Signals.EventListener, AutoCloseable {
  private static final int PAGE = 200;
  private static final int POLL_CHUNK = 1_000;

  private final Database db;
  private final EventRepository events;
  private final JobOperations jobs;
  private final Map<UUID, Set<Stream>> byJob = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  private final ExecutorService pumps;
  private final ScheduledExecutorService safetyPoll =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "overseer-watch-poll"));
  private volatile boolean closed;

  public JobWatcher(Database db, EventRepository events, JobOperations jobs, int pumpThreads, long safetyPollMs) {
    this.db = db;
    this.events = events;
    this.jobs = jobs;
    AtomicInteger n = new AtomicInteger();
    this.pumps = Executors.newFixedThreadPool(pumpThreads, r -> daemon(r, "overseer-watch-pump-" + n.incrementAndGet()));
    safetyPoll.scheduleWithFixedDelay(this::pollBehind, safetyPollMs, safetyPollMs, TimeUnit.MILLISECONDS);
  }

  /** Streams currently open on this node. */
  public int activeStreams() {
    return active.get();
  }

  public void watch(Principal principal, UUID jobId, long afterSequence, StreamObserver<io.overseer.v1.JobEvent> out) {
    Job job = jobs.get(principal, jobId); // NOT_FOUND for unknown or foreign jobs
    if (afterSequence >= job.lastSequence() && job.state().isTerminal()) {
      out.onCompleted();
      return;
    }
    if (afterSequence > job.lastSequence()) {
      throw new OutOfRangeException(
          "SEQUENCE_OUT_OF_RANGE",
          "after_sequence " + afterSequence + " is past the last event (" + job.lastSequence() + ") of job " + jobId,
          Map.of("job_id", jobId.toString(), "last_sequence", Long.toString(job.lastSequence())),
          "pass the sequence of the last event you received, or 0 for all events");
    }
    if (closed) {
      throw shuttingDown();
    }
    Stream s = new Stream(jobId, afterSequence, (ServerCallStreamObserver<io.overseer.v1.JobEvent>) out);
    s.out.setOnCancelHandler(s::cancelled);
    s.out.setOnReadyHandler(s::requestPump);
    // add under the map's per-key lock: a concurrent remove() of the job's last stream must not
    // drop the set this stream is being added to (it would never hear of the job's events again)
    byJob.compute(
        jobId,
        (k, streams) -> {
          Set<Stream> set = streams != null ? streams : ConcurrentHashMap.newKeySet();
          set.add(s);
          return set;
        });
    active.incrementAndGet();
    if (closed) {
      s.end(shuttingDown()); // close() may have ended every stream before this one was added
      return;
    }
    s.requestPump();
  }

  @Override
  public void onEvent(UUID jobId, long sequence) {
    Set<Stream> streams = byJob.get(jobId);
    if (streams != null) {
      for (Stream s : streams) {
        if (sequence > s.lastSent) {
          s.requestPump();
        }
      }
    }
  }

  /** Notices may have been lost (a listener reconnected): pump every stream. */
  @Override
  public void onResync() {
    for (Set<Stream> streams : byJob.values()) {
      streams.forEach(Stream::requestPump);
    }
  }

  /**
   * The safety poll: pumps the streams that are behind their job's newest event, found with one
   * read per {@link #POLL_CHUNK} watched jobs rather than one per stream (at 10,000 streams a
   * pump of every stream would be a burst of 10,000 reads that delays live events).
   */
  private void pollBehind() {
    List<UUID> watched = List.copyOf(byJob.keySet());
    for (int from = 0; from < watched.size() && !closed; from += POLL_CHUNK) {
      List<UUID> chunk = watched.subList(from, Math.min(watched.size(), from + POLL_CHUNK));
      Map<UUID, Long> last;
      try {
        last = db.autocommit(c -> events.lastSequences(c, chunk));
      } catch (RuntimeException e) {
        return; // the database is away: the next poll tries again
      }
      for (UUID id : chunk) {
        Long newest = last.get(id);
        Set<Stream> streams = byJob.get(id);
        if (streams != null) {
          streams.stream().filter(s -> newest == null || newest > s.lastSent).forEach(Stream::requestPump);
        }
      }
    }
  }

  /** Ends every stream with UNAVAILABLE so clients resume on another node. */
  @Override
  public void close() {
    closed = true;
    safetyPoll.shutdownNow();
    for (Set<Stream> streams : byJob.values()) {
      for (Stream s : streams) {
        s.end(shuttingDown());
      }
    }
    pumps.shutdownNow();
  }

  private static StatusRuntimeException shuttingDown() {
    return ErrorMapper.status(
        Code.UNAVAILABLE,
        "the server is shutting down",
        "SHUTTING_DOWN",
        Map.of(),
        "watch again on another node, with after_sequence set to the last sequence you received");
  }

  private final class Stream {
    final UUID jobId;
    final ServerCallStreamObserver<io.overseer.v1.JobEvent> out;
    final AtomicBoolean scheduled = new AtomicBoolean();
    final AtomicBoolean dirty = new AtomicBoolean();
    final AtomicBoolean registered = new AtomicBoolean(true);
    volatile long lastSent;
    volatile boolean done; // set under this

    Stream(UUID jobId, long after, ServerCallStreamObserver<io.overseer.v1.JobEvent> out) {
      this.jobId = jobId;
      this.lastSent = after;
      this.out = out;
    }

    void requestPump() {
      dirty.set(true);
      if (scheduled.compareAndSet(false, true)) {
        try {
          pumps.execute(this::pump);
        } catch (java.util.concurrent.RejectedExecutionException e) {
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
        end(ErrorMapper.toStatus(e)); // keeps the ErrorInfo and hint in the trailers
      } finally {
        scheduled.set(false);
      }
      if (dirty.get()) {
        requestPump(); // a notice arrived after the loop's last check
      }
    }

    /** Sends stored events after lastSent while the transport is ready. */
    private synchronized void drain() {
      while (!done && !out.isCancelled() && out.isReady()) {
        List<JobEvent> page = db.autocommit(c -> events.listAfter(c, jobId, lastSent, PAGE));
        if (page.isEmpty()) {
          return;
        }
        for (JobEvent e : page) {
          if (done) {
            return;
          }
          out.onNext(ProtoMapper.event(e));
          lastSent = e.sequence();
          if (e.isTerminal()) {
            done = true;
            remove(); // first: once the client sees the end, the stream is gone here too
            out.onCompleted();
            return;
          }
        }
      }
    }

    synchronized void end(StatusRuntimeException status) {
      if (!done) {
        done = true;
        remove();
        try {
          out.onError(status);
        } catch (IllegalStateException alreadyClosed) {
          // cancelled by the client meanwhile
        }
      }
    }

    /** The client went away: stop at once (a running drain sees {@code done}) and forget it. */
    void cancelled() {
      done = true;
      remove();
    }

    void remove() {
      if (registered.compareAndSet(true, false)) {
        // the set is removed with its last stream, under the map's per-key lock (see watch)
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

package io.overseer.server.api;

import io.grpc.Status;
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
    safetyPoll.scheduleWithFixedDelay(this::onResync, safetyPollMs, safetyPollMs, TimeUnit.MILLISECONDS);
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
      throw Status.UNAVAILABLE.withDescription("the server is shutting down; watch on another node").asRuntimeException();
    }
    Stream s = new Stream(jobId, afterSequence, (ServerCallStreamObserver<io.overseer.v1.JobEvent>) out);
    s.out.setOnCancelHandler(s::remove);
    s.out.setOnReadyHandler(s::requestPump);
    byJob.computeIfAbsent(jobId, k -> ConcurrentHashMap.newKeySet()).add(s);
    active.incrementAndGet();
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

  @Override
  public void onResync() {
    for (Set<Stream> streams : byJob.values()) {
      streams.forEach(Stream::requestPump);
    }
  }

  /** Ends every stream with UNAVAILABLE so clients resume on another node. */
  @Override
  public void close() {
    closed = true;
    safetyPoll.shutdownNow();
    for (Set<Stream> streams : byJob.values()) {
      for (Stream s : streams) {
        s.end(Status.UNAVAILABLE.withDescription("the server is shutting down; resume the watch with after_sequence on another node"));
      }
    }
    pumps.shutdownNow();
  }

  private final class Stream {
    final UUID jobId;
    final ServerCallStreamObserver<io.overseer.v1.JobEvent> out;
    final AtomicBoolean scheduled = new AtomicBoolean();
    final AtomicBoolean dirty = new AtomicBoolean();
    volatile long lastSent;
    boolean done; // guarded by this

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
        end(ErrorMapper.statusOf(e));
      } finally {
        scheduled.set(false);
      }
      if (dirty.get()) {
        requestPump(); // a notice arrived after the loop's last check
      }
    }

    /** Sends stored events after lastSent while the transport is ready. */
    private synchronized void drain() {
      while (!done && out.isReady()) {
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
            out.onCompleted();
            remove();
            return;
          }
        }
      }
    }

    synchronized void end(Status status) {
      if (!done) {
        done = true;
        try {
          out.onError(status.asRuntimeException());
        } catch (IllegalStateException alreadyClosed) {
          // cancelled by the client meanwhile
        }
        remove();
      }
    }

    void remove() {
      Set<Stream> streams = byJob.get(jobId);
      if (streams != null && streams.remove(this)) {
        active.decrementAndGet();
        byJob.computeIfPresent(jobId, (k, v) -> v.isEmpty() ? null : v);
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

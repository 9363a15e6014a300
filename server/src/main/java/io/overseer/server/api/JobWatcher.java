package io.overseer.server.api;

import com.google.rpc.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.overseer.server.core.JobOperations;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.Principal;
import io.overseer.server.signal.Signals;
import io.overseer.server.store.Database;
import io.overseer.server.store.EventRepository;
import io.overseer.server.tail.Tail;
import io.overseer.server.tail.TailSink;
import io.overseer.server.tail.TailSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Serves WatchJob streams: the {@link Tail} of job events, fed with event notices by
 * {@link Signals}. A stream ends OK after the terminal STATE_CHANGED event, UNAVAILABLE when the
 * node shuts down.
 */
public final class JobWatcher implements Signals.EventListener, AutoCloseable {
  private static final int PAGE = 200;

  private final JobOperations jobs;
  private final Tail<JobEvent> tail;

  public JobWatcher(Database db, EventRepository events, JobOperations jobs, int pumpThreads, long safetyPollMs) {
    this.jobs = jobs;
    this.tail = new Tail<>("watch", new Events(db, events), PAGE, pumpThreads, safetyPollMs, JobWatcher::shuttingDown);
  }

  /** Streams currently open on this node. */
  public int activeStreams() {
    return tail.activeStreams();
  }

  public void watch(Principal principal, UUID jobId, long afterSequence, StreamObserver<io.overseer.v1.JobEvent> out) {
    watch(principal, jobId, afterSequence, new GrpcTailSink<>((ServerCallStreamObserver<io.overseer.v1.JobEvent>) out, ProtoMapper::event));
  }

  /**
   * Streams the events of the job after {@code afterSequence} to {@code sink}. Throws before the
   * stream starts: NOT_FOUND for unknown or foreign jobs, OUT_OF_RANGE past the last event.
   */
  public void watch(Principal principal, UUID jobId, long afterSequence, TailSink<JobEvent> sink) {
    Job job = jobs.get(principal, jobId);
    tail.start(jobId, afterSequence, job.lastSequence(), job.state().isTerminal(), "event", sink);
  }

  @Override
  public void onEvent(UUID jobId, long sequence) {
    tail.notice(jobId, sequence);
  }

  @Override
  public void onResync() {
    tail.resync();
  }

  /** Ends every stream with UNAVAILABLE so clients resume on another node. */
  @Override
  public void close() {
    tail.close();
  }

  static StatusRuntimeException shuttingDown() {
    return ErrorMapper.status(
        Code.UNAVAILABLE,
        "the server is shutting down",
        "SHUTTING_DOWN",
        Map.of(),
        "watch again on another node, with after_sequence set to the last sequence you received");
  }

  /** A job's event log; its terminal event is its last. */
  private record Events(Database db, EventRepository events) implements TailSource<JobEvent> {
    @Override
    public List<JobEvent> page(UUID jobId, long afterSequence, int limit) {
      return db.autocommit(c -> events.listAfter(c, jobId, afterSequence, limit));
    }

    @Override
    public long sequence(JobEvent event) {
      return event.sequence();
    }

    @Override
    public boolean isLast(JobEvent event) {
      return event.isTerminal();
    }

    @Override
    public Map<UUID, Long> newest(Collection<UUID> jobIds) {
      return db.autocommit(c -> events.lastSequences(c, jobIds));
    }
  }
}

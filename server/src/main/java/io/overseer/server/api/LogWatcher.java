package io.overseer.server.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.overseer.server.core.JobOperations;
import io.overseer.server.core.LogOperations;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.LogLine;
import io.overseer.server.domain.Principal;
import io.overseer.server.signal.Signals;
import io.overseer.server.tail.Tail;
import io.overseer.server.tail.TailSink;
import io.overseer.server.tail.TailSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Serves WatchJobLogs streams: the {@link Tail} of job log lines, fed by {@link Signals} with log
 * notices (lines appended) and event notices (the job may have become terminal). A stream ends OK
 * once its job is terminal and every stored line was sent, UNAVAILABLE when the node shuts down.
 */
public final class LogWatcher implements Signals.EventListener, AutoCloseable {
  /** Lines of up to 16 KiB: a page bounds what one pump holds. */
  private static final int PAGE = 100;

  private final JobOperations jobs;
  private final LogOperations logs;
  private final Tail<LogLine> tail;

  public LogWatcher(JobOperations jobs, LogOperations logs, int pumpThreads, long safetyPollMs) {
    this.jobs = jobs;
    this.logs = logs;
    this.tail = new Tail<>("logs", new Lines(logs), PAGE, pumpThreads, safetyPollMs, JobWatcher::shuttingDown);
  }

  /** Streams currently open on this node. */
  public int activeStreams() {
    return tail.activeStreams();
  }

  public void watch(Principal principal, UUID jobId, long afterSequence, StreamObserver<io.overseer.v1.LogLine> out) {
    watch(principal, jobId, afterSequence, new GrpcTailSink<>((ServerCallStreamObserver<io.overseer.v1.LogLine>) out, ProtoMapper::logLine));
  }

  /**
   * Streams the log lines of the job after {@code afterSequence} to {@code sink}. Throws before
   * the stream starts: NOT_FOUND for unknown or foreign jobs, OUT_OF_RANGE past the last line of
   * a live job; at or past the end of a terminal job it ends at once.
   */
  public void watch(Principal principal, UUID jobId, long afterSequence, TailSink<LogLine> sink) {
    Job job = jobs.get(principal, jobId);
    tail.start(jobId, afterSequence, logs.lastSequence(jobId), job.state().isTerminal(), "log line", sink);
  }

  @Override
  public void onLogs(UUID jobId, long sequence) {
    tail.notice(jobId, sequence);
  }

  /** Any event may be the terminal one: the job's streams look whether they are done. */
  @Override
  public void onEvent(UUID jobId, long sequence) {
    tail.notice(jobId, Long.MAX_VALUE);
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

  /** A job's log; no line is the last: a stream ends by the done check. */
  private record Lines(LogOperations logs) implements TailSource<LogLine> {
    @Override
    public List<LogLine> page(UUID jobId, long afterSequence, int limit) {
      return logs.page(jobId, afterSequence, limit);
    }

    @Override
    public long sequence(LogLine line) {
      return line.sequence();
    }

    @Override
    public boolean isLast(LogLine line) {
      return false;
    }

    @Override
    public boolean isDone(UUID jobId, long afterSequence) {
      return logs.isDone(jobId, afterSequence);
    }

    @Override
    public Map<UUID, Long> newest(Collection<UUID> jobIds) {
      return logs.newest(jobIds);
    }
  }
}

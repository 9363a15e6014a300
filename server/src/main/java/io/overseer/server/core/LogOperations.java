package io.overseer.server.core;

import io.overseer.server.domain.JobNotFoundException;
import io.overseer.server.domain.LeaseLostException;
import io.overseer.server.domain.LogLine;
import io.overseer.server.domain.NewLogLine;
import io.overseer.server.domain.Principal;
import io.overseer.server.metrics.LogMetrics;
import io.overseer.server.signal.Signals;
import io.overseer.server.store.Database;
import io.overseer.server.store.JobRepository;
import io.overseer.server.store.LogRepository;
import io.overseer.server.store.LogRepository.Head;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Job logs: workers append lines under their live lease, callers read them (their own jobs only).
 * The per-job cap ({@code --max-log-bytes-per-job}) is kept by the append that passes it, in its
 * transaction. Readers are told of dropped lines by the gap they leave: sequences have no gaps
 * but the dropped lines, so the first line read after a gap says how many lines the reader missed.
 */
public final class LogOperations {
  private final Database db;
  private final JobRepository jobs;
  private final LogRepository logs;
  private final JobOperations callers;
  private final Signals signals;
  private final LogMetrics metrics;
  private final long maxBytesPerJob;

  public LogOperations(
      Database db, JobRepository jobs, LogRepository logs, JobOperations callers, Signals signals, LogMetrics metrics,
      long maxBytesPerJob) {
    this.db = db;
    this.jobs = jobs;
    this.logs = logs;
    this.callers = callers;
    this.signals = signals;
    this.metrics = metrics;
    this.maxBytesPerJob = maxBytesPerJob;
  }

  /**
   * Appends the lines (1..1000, validated) under the live lease; returns the last one's sequence.
   * A lease that is not the job's live one is LEASE_LOST, with nothing written.
   */
  public long append(UUID id, String token, List<NewLogLine> lines) {
    Appended done =
        db.transaction(
            c -> {
              Head appended = logs.append(c, id, token, lines).orElse(null);
              return appended == null ? null : new Appended(appended, logs.trim(c, id, appended, maxBytesPerJob));
            });
    if (done == null) {
      throw leaseLost(id);
    }
    signals.logsAppended(id, done.trimmed().lastSequence());
    metrics.appended(lines.size(), lines.stream().mapToLong(NewLogLine::bytes).sum(),
        lines.stream().filter(NewLogLine::cut).count(), done.trimmed().dropped() - done.appended().dropped());
    return done.trimmed().lastSequence();
  }

  /** A job's log head after the append, and after the cap's trim (the same when under the cap). */
  private record Appended(Head appended, Head trimmed) {}

  /** The lines of a job the principal may see, after {@code afterSequence}, oldest first. */
  public List<LogLine> list(Principal principal, UUID id, long afterSequence, int limit) {
    callers.get(principal, id);
    return page(id, afterSequence, limit);
  }

  /**
   * Up to {@code limit} lines after {@code afterSequence}, oldest first; if lines the reader asked
   * for were dropped by the cap, the first line read says how many.
   */
  public List<LogLine> page(UUID id, long afterSequence, int limit) {
    List<LogLine> page = db.autocommit(c -> logs.listAfter(c, id, afterSequence, limit));
    if (page.isEmpty() || page.get(0).sequence() == afterSequence + 1) {
      return page;
    }
    // appends of a job commit in sequence order, so the only gaps a reader sees are drops
    List<LogLine> marked = new ArrayList<>(page);
    marked.set(0, page.get(0).afterDropped(page.get(0).sequence() - afterSequence - 1));
    return marked;
  }

  /** The sequence of the job's newest line (0: none yet); the caller checked the job is visible. */
  public long lastSequence(UUID id) {
    return db.autocommit(c -> logs.lastSequence(c, id));
  }

  /** Whether the job is terminal (or gone) with no line after {@code afterSequence}. */
  public boolean isDone(UUID id, long afterSequence) {
    return db.autocommit(c -> logs.isDone(c, id, afterSequence));
  }

  /** Per job, its last sequence, or {@code Long.MAX_VALUE} once it is terminal. */
  public Map<UUID, Long> newest(Collection<UUID> ids) {
    return db.autocommit(c -> logs.newest(c, ids));
  }

  private RuntimeException leaseLost(UUID id) {
    return db.autocommit(c -> jobs.find(c, id, null))
        .<RuntimeException>map(job -> new LeaseLostException(id.toString(), job.state()))
        .orElseGet(() -> new JobNotFoundException(id.toString()));
  }
}

package io.overseer.server.store;

import io.overseer.server.domain.LogLine;
import io.overseer.server.domain.NewLogLine;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Job logs: appends under the live lease, the per-job cap, and reads. A job's counters live in its
 * {@code job_log_heads} row (V9), never on the jobs row.
 *
 * <p>Locks of an append, in this order: the job's row FOR SHARE (the lease fence: a job that ends
 * concurrently waits for the append to commit, or the append re-reads it ended and writes
 * nothing), then its head row by the upsert (appends of one job take turns there, so lines commit
 * in sequence order and a reader never sees a gap that is not a drop). Claims and endings of other
 * jobs touch neither.
 */
public final class LogRepository {
  /**
   * One statement per batch: the lease fence, the head's counters moved on by the batch, and its
   * lines numbered from the head's old last_sequence, in the order given.
   */
  private static final String APPEND =
      "WITH job AS (SELECT id, attempt FROM jobs WHERE id = ? AND state = ANY(?::text[]) AND lease_token = ?"
          + " AND lease_expires_at > now() FOR SHARE),"
          + " input AS (SELECT * FROM unnest(?::timestamptz[], ?::text[], ?::text[], ?::int[])"
          + " WITH ORDINALITY AS u(time, stream, text, bytes, n)),"
          + " batch AS (SELECT count(*) AS lines, sum(bytes) AS bytes FROM input),"
          + " head AS (INSERT INTO job_log_heads AS h (job_id, last_sequence, bytes)"
          + " SELECT job.id, batch.lines, batch.bytes FROM job, batch"
          + " ON CONFLICT (job_id) DO UPDATE SET last_sequence = h.last_sequence + excluded.last_sequence,"
          + " bytes = h.bytes + excluded.bytes"
          + " RETURNING h.job_id, h.last_sequence, h.bytes, h.dropped),"
          + " added AS (INSERT INTO job_logs (job_id, sequence, time, stream, text, attempt, bytes)"
          + " SELECT head.job_id, head.last_sequence - batch.lines + input.n, coalesce(input.time, now()),"
          + " input.stream, input.text, job.attempt, input.bytes FROM head, job, batch, input)"
          + " SELECT last_sequence, bytes, dropped FROM head";

  /**
   * Drops a job's oldest kept lines until its bytes are within the cap: every line whose kept
   * predecessors still count at least the excess. The scan starts at the oldest kept line and reads
   * at most as many lines as the excess could take (each counts at least the line overhead).
   */
  private static final String TRIM =
      "WITH gone AS (DELETE FROM job_logs l WHERE l.job_id = ? AND l.sequence IN"
          + " (SELECT sequence FROM (SELECT sequence, sum(bytes) OVER (ORDER BY sequence) - bytes AS before"
          + " FROM job_logs WHERE job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?) k WHERE before < ?)"
          + " RETURNING l.sequence, l.bytes)"
          + " UPDATE job_log_heads h SET bytes = h.bytes - g.bytes, dropped = g.last"
          + " FROM (SELECT sum(bytes) AS bytes, max(sequence) AS last FROM gone) g"
          + " WHERE h.job_id = ? AND g.last IS NOT NULL"
          + " RETURNING h.last_sequence, h.bytes, h.dropped";

  private static final String LIST_AFTER =
      "SELECT sequence, time, stream, text, attempt FROM job_logs WHERE job_id = ? AND sequence > ?"
          + " ORDER BY sequence LIMIT ?";

  private static final String LAST_SEQUENCE = "SELECT last_sequence FROM job_log_heads WHERE job_id = ?";

  /** Whether the job is terminal (or gone) with nothing after the sequence: one snapshot. */
  private static final String DONE_AFTER =
      "SELECT j.state = ANY(?::text[]) AND coalesce(h.last_sequence, 0) <= ?"
          + " FROM (SELECT ?::uuid AS id) i LEFT JOIN jobs j ON j.id = i.id LEFT JOIN job_log_heads h ON h.job_id = i.id";

  /** Per job that exists: null when terminal, else its last sequence (0: no lines yet). */
  private static final String NEWEST =
      "SELECT j.id, CASE WHEN j.state = ANY(?::text[]) THEN NULL ELSE coalesce(h.last_sequence, 0) END"
          + " FROM jobs j LEFT JOIN job_log_heads h ON h.job_id = j.id WHERE j.id = ANY(?::uuid[])";

  /** A job's log counters after a write. */
  public record Head(long lastSequence, long bytes, long dropped) {}

  /**
   * Appends the lines under the live lease {@code leaseToken}; empty (and nothing written) if it
   * is not the job's live lease. Run it in a transaction with {@link #trim} if the head is over
   * the cap.
   */
  public Optional<Head> append(Connection c, UUID jobId, String leaseToken, List<NewLogLine> lines) throws SQLException {
    int n = lines.size();
    Timestamp[] times = new Timestamp[n];
    String[] streams = new String[n];
    String[] texts = new String[n];
    Integer[] bytes = new Integer[n];
    for (int k = 0; k < n; k++) {
      NewLogLine line = lines.get(k);
      times[k] = line.time() == null ? null : Timestamp.from(line.time());
      streams[k] = line.stream();
      texts[k] = line.text();
      bytes[k] = line.bytes();
    }
    try (PreparedStatement ps = c.prepareStatement(APPEND)) {
      int i = 0;
      ps.setObject(++i, jobId);
      ps.setArray(++i, StateSql.array(c, State.LEASED));
      ps.setString(++i, leaseToken);
      ps.setArray(++i, c.createArrayOf("timestamptz", times));
      ps.setArray(++i, c.createArrayOf("text", streams));
      ps.setArray(++i, c.createArrayOf("text", texts));
      ps.setArray(++i, c.createArrayOf("int4", bytes));
      return head(ps);
    }
  }

  /**
   * Drops the oldest kept lines of a job whose {@code head} is over {@code maxBytes}, in the
   * transaction of the append that passed it (its head row is locked); returns the new head.
   */
  public Head trim(Connection c, UUID jobId, Head head, long maxBytes) throws SQLException {
    long excess = head.bytes() - maxBytes;
    if (excess <= 0) {
      return head;
    }
    try (PreparedStatement ps = c.prepareStatement(TRIM)) {
      int i = 0;
      ps.setObject(++i, jobId);
      ps.setObject(++i, jobId);
      ps.setLong(++i, head.dropped());
      ps.setLong(++i, excess / NewLogLine.LINE_OVERHEAD_BYTES + 1);
      ps.setLong(++i, excess);
      ps.setObject(++i, jobId);
      return head(ps).orElse(head);
    }
  }

  /** Lines of one job with sequence > {@code afterSequence}, oldest first. */
  public List<LogLine> listAfter(Connection c, UUID jobId, long afterSequence, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LIST_AFTER)) {
      ps.setObject(1, jobId);
      ps.setLong(2, afterSequence);
      ps.setInt(3, limit);
      List<LogLine> lines = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lines.add(new LogLine(rs.getLong(1), Rows.instant(rs, "time"), rs.getString(3), rs.getString(4), rs.getInt(5)));
        }
      }
      return lines;
    }
  }

  /** The sequence of the job's newest line; 0 when it has none. */
  public long lastSequence(Connection c, UUID jobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LAST_SEQUENCE)) {
      ps.setObject(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Whether no line after {@code afterSequence} exists or ever will: the job is terminal, or gone. */
  public boolean isDone(Connection c, UUID jobId, long afterSequence) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DONE_AFTER)) {
      ps.setArray(1, StateSql.array(c, State.TERMINAL));
      ps.setLong(2, afterSequence);
      ps.setObject(3, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        boolean done = rs.getBoolean(1);
        return done || rs.wasNull(); // null: the job is gone
      }
    }
  }

  /**
   * For the tail's safety poll: per job that exists, the last sequence, or {@code Long.MAX_VALUE}
   * when it is terminal (its streams end once they read nothing more).
   */
  public Map<UUID, Long> newest(Connection c, Collection<UUID> jobIds) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(NEWEST)) {
      ps.setArray(1, StateSql.array(c, State.TERMINAL));
      ps.setArray(2, c.createArrayOf("uuid", jobIds.toArray()));
      Map<UUID, Long> out = new HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long last = rs.getLong(2);
          out.put(rs.getObject(1, UUID.class), rs.wasNull() ? Long.MAX_VALUE : last);
        }
      }
      return out;
    }
  }

  private static Optional<Head> head(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(new Head(rs.getLong(1), rs.getLong(2), rs.getLong(3))) : Optional.empty();
    }
  }
}

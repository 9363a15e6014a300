package io.overseer.server.store;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent.EventKind;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** Retention, progress compaction and the stall watchdog: batch statements on old or idle jobs. */
public final class HousekeepingRepository {
  /**
   * Deletes a batch of terminal jobs finished before the cut-off, with their events and log lines
   * and log head (no foreign keys, see V4 and V9: deleted here) and assets (by the foreign key's
   * cascade).
   */
  private static final String DELETE_EXPIRED =
      "WITH gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
          + " WHERE finish_time < now() - ? * interval '1 millisecond'"
          + " ORDER BY finish_time LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id),"
          // events and logs have no foreign key (see V4, V9): they go with their job in this statement
          + " ev AS (DELETE FROM job_events e USING gone WHERE e.job_id = gone.id),"
          + " lines AS (DELETE FROM job_logs l USING gone WHERE l.job_id = gone.id),"
          + " heads AS (DELETE FROM job_log_heads h USING gone WHERE h.job_id = gone.id)"
          + " SELECT count(*) FROM gone";

  /** Drops PROGRESS events of a batch of jobs finished before the cut-off; state changes stay. */
  private static final String COMPACT_PROGRESS =
      "WITH picked AS (SELECT id FROM jobs WHERE finish_time < now() - ? * interval '1 millisecond'"
          + " AND NOT progress_compacted ORDER BY finish_time LIMIT ? FOR UPDATE SKIP LOCKED),"
          + " del AS (DELETE FROM job_events e USING picked WHERE e.job_id = picked.id AND e.kind = 'PROGRESS')"
          + " UPDATE jobs SET progress_compacted = true FROM picked WHERE jobs.id = picked.id";

  /**
   * Marks running jobs of a type that changed nothing (no event moved update_time) for the
   * threshold, and appends a STALLED event; once per quiet spell.
   */
  private static final String MARK_STALLED =
      "WITH t AS (UPDATE jobs SET stalled_at = now(), last_sequence = last_sequence + 1"
          + " WHERE id IN (SELECT id FROM jobs WHERE " + StateSql.in("state", State.TIMED) + " AND lease_ms > 0"
          + " AND (?::text IS NULL OR type = ?) AND update_time < now() - ? * interval '1 millisecond'"
          + " AND (stalled_at IS NULL OR stalled_at < update_time) LIMIT ? FOR UPDATE SKIP LOCKED)"
          + " RETURNING *)"
          + EventInsert.of(EventKind.STALLED).message("?").actor("'" + Principal.SYSTEM + "'").workerId("''").time("now()")
              .andReturnJobs();

  public int deleteExpired(Connection c, long retentionMs, int batch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
      ps.setLong(1, retentionMs);
      ps.setInt(2, batch);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  public int compactProgress(Connection c, long afterMs, int batch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COMPACT_PROGRESS)) {
      ps.setLong(1, afterMs);
      ps.setInt(2, batch);
      return ps.executeUpdate();
    }
  }

  /** {@code type} null: every type. */
  public List<Job> markStalled(Connection c, String type, long quietMs, String message, int batch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(MARK_STALLED)) {
      ps.setString(1, type);
      ps.setString(2, type);
      ps.setLong(3, quietMs);
      ps.setInt(4, batch);
      ps.setString(5, message);
      return Rows.allJobs(ps);
    }
  }
}

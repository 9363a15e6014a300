package io.overseer.server.store;

import io.overseer.server.domain.JobEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads of the job event log. Events are written with the job changes in {@link JobRepository}. */
public final class EventRepository {
  private static final String LIST_AFTER =
      "SELECT * FROM job_events WHERE job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?";

  /** Events of one job with sequence > {@code afterSequence}, oldest first. */
  public List<JobEvent> listAfter(Connection c, UUID jobId, long afterSequence, int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LIST_AFTER)) {
      ps.setObject(1, jobId);
      ps.setLong(2, afterSequence);
      ps.setInt(3, limit);
      List<JobEvent> events = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          events.add(Rows.event(rs));
        }
      }
      return events;
    }
  }
}

package io.overseer.server.store;

import io.overseer.server.domain.JobEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Reads of the job event log. Events are written with the job changes in {@link JobRepository}. */
public final class EventRepository {
  private static final String LIST_AFTER =
      "SELECT * FROM job_events WHERE job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?";

  private static final String LAST_SEQUENCES =
      "SELECT id, last_sequence FROM jobs WHERE id = ANY(?::uuid[])";

  /** The newest event's sequence of each of the jobs that exist. */
  public Map<UUID, Long> lastSequences(Connection c, Collection<UUID> jobIds) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LAST_SEQUENCES)) {
      ps.setArray(1, c.createArrayOf("uuid", jobIds.toArray()));
      Map<UUID, Long> out = new HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getObject(1, UUID.class), rs.getLong(2));
        }
      }
      return out;
    }
  }

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

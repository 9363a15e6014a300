package io.overseer.server.store;

import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/** Aggregates for metrics; cheap because they read only the partial indexes of live jobs. */
public final class StatsRepository {
  private static final String LIVE_BY_QUEUE =
      // one arm per partial index: an IN list matches neither, and with 1,000,000 finished jobs
      // the planner read the whole table (170 ms per refresh) instead of the live rows
      "SELECT queue, state, count(*) FROM jobs WHERE " + StateSql.in("state", State.CLAIMABLE) + " GROUP BY queue, state"
          + " UNION ALL SELECT queue, state, count(*) FROM jobs WHERE " + StateSql.in("state", State.LEASED)
          + " AND lease_ms > 0 GROUP BY queue, state";

  private static final String AUTOVACUUM = "SELECT current_setting('autovacuum')::boolean";

  private static final String SERVER_VERSION = "SHOW server_version";

  public record QueueState(String queue, String state) {}

  /** Whether the database vacuums by itself; a queue table bloats without it. */
  public boolean autovacuumEnabled(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(AUTOVACUUM);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** The server's version number, e.g. "17.6". */
  public String serverVersion(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SERVER_VERSION);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1).split(" ")[0];
    }
  }

  public Map<QueueState, Long> liveJobsByQueue(Connection c) throws SQLException {
    Map<QueueState, Long> counts = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(LIVE_BY_QUEUE);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        counts.put(new QueueState(rs.getString(1), rs.getString(2)), rs.getLong(3));
      }
    }
    return counts;
  }
}

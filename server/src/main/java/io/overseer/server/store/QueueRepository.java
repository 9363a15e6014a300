package io.overseer.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalInt;

/** The queues table: one row per queue with settings. */
public final class QueueRepository {
  private static final String SET_CONCURRENCY_LIMIT =
      "INSERT INTO queues (name, concurrency_limit) VALUES (?, ?)"
          + " ON CONFLICT (name) DO UPDATE SET concurrency_limit = EXCLUDED.concurrency_limit, update_time = now()"
          + " WHERE queues.concurrency_limit IS DISTINCT FROM EXCLUDED.concurrency_limit";

  private static final String LOCK_CONCURRENCY_LIMIT =
      "SELECT concurrency_limit FROM queues WHERE name = ? FOR UPDATE";

  /** Creates the queue's row if needed and sets its limit (0: none). */
  public void setConcurrencyLimit(Connection c, String queue, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SET_CONCURRENCY_LIMIT)) {
      ps.setString(1, queue);
      ps.setInt(2, limit);
      ps.executeUpdate();
    }
  }

  /**
   * Locks the queue's row until the transaction ends and returns its limit: claimers of one
   * limited queue take turns on every node, so the count and the claim that follow cannot
   * interleave. Empty if the queue has no row.
   */
  public OptionalInt lockConcurrencyLimit(Connection c, String queue) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK_CONCURRENCY_LIMIT)) {
      ps.setString(1, queue);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
      }
    }
  }
}

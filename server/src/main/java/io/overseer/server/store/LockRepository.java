package io.overseer.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Advisory locks, named; the names are this server's own (e.g. "maintenance"). */
public final class LockRepository {
  private static final String TRY_TRANSACTION_LOCK =
      "SELECT pg_try_advisory_xact_lock(hashtext('overseer.' || ?))";

  /** Takes the lock until the transaction ends, unless another session holds it (false). */
  public boolean tryTransactionLock(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TRY_TRANSACTION_LOCK)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}

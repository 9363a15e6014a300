package io.overseer.server.store;

import java.sql.SQLException;
import java.sql.SQLTransientException;

/** A database failure. Unavailable ones (connection lost, pool timeout) may be retried. */
public final class StoreException extends RuntimeException {
  private final boolean connectionLost;

  public StoreException(SQLException cause) {
    this(cause, false);
  }

  /** {@code connectionLost}: the connection died under the work (the failure says so, or not). */
  public StoreException(SQLException cause, boolean connectionLost) {
    super(cause.getMessage(), cause);
    this.connectionLost = connectionLost;
  }

  /** The database could not be reached or did not answer in time; a retry may succeed. */
  public boolean isUnavailable() {
    SQLException e = (SQLException) getCause();
    String state = e.getSQLState();
    return connectionLost
        || e instanceof SQLTransientException
        || (state != null
            && (state.startsWith("08") // connection exception
                || state.startsWith("57P") // admin shutdown, crash shutdown, cannot connect now
                || state.equals("53300") // too many connections
                || state.equals("57014"))); // query cancelled (statement timeout)
  }

  /** A serialization failure or deadlock: the transaction lost a race; retrying it is safe. */
  public boolean isConflict() {
    String state = ((SQLException) getCause()).getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }
}

package io.overseer.server.store;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.grpc.Context;
import io.grpc.Deadline;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The connection pool, transactions and migrations. Repositories take the Connection.
 *
 * <p>Work done for a gRPC call is bounded by the call's deadline: the wait for a pooled
 * connection ends {@link #ANSWER_MARGIN_MS} before it (so the caller gets UNAVAILABLE with
 * RetryInfo rather than a bare DEADLINE_EXCEEDED), and every read from the database times out at
 * it (the connection is then closed and replaced). So a stalled or unreachable database never
 * holds a call, its thread or its connection past the deadline.
 */
public final class Database {
  /** How long before the caller's deadline a wait for a connection gives up. */
  static final long ANSWER_MARGIN_MS = 200;

  /** Work done with a connection; may throw SQLException. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DataSource dataSource;

  public Database(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Applies the versioned migrations in {@code db/migration}. Safe to run from every node. */
  public void migrate() {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .table("overseer_schema_history")
        .load()
        .migrate();
  }

  /** Runs one statement (or several reads) in autocommit mode. */
  public <T> T autocommit(SqlWork<T> work) {
    Connection c = null;
    try {
      c = connect();
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(e, isLost(c));
    } finally {
      closeQuietly(c);
    }
  }

  /**
   * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws
   * (a domain exception thrown inside rolls everything back and leaves unchanged).
   */
  public <T> T transaction(SqlWork<T> work) {
    Connection c = null;
    try {
      c = connect();
      c.setAutoCommit(false);
      T result;
      try {
        result = work.run(c);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
      return result;
    } catch (SQLException e) {
      throw new StoreException(e, isLost(c));
    } finally {
      if (c != null) {
        restoreAutoCommit(c);
      }
      closeQuietly(c);
    }
  }

  /**
   * Whether the connection died under the work (the driver or the pool closed it): the failure is
   * then the database being unreachable, whatever the driver's message for using a closed
   * connection says.
   */
  private static boolean isLost(Connection c) {
    try {
      return c != null && c.isClosed();
    } catch (SQLException e) {
      return true;
    }
  }

  /** Back to autocommit for the connection's next user; a dead connection is dropped anyway. */
  private static void restoreAutoCommit(Connection c) {
    try {
      if (!c.isClosed() && !c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      // the pool resets or evicts it
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      // returned to the pool or evicted: nothing more to do with it
    }
  }

  /**
   * How long the current gRPC call may wait for the database and still answer before its
   * deadline: {@link #ANSWER_MARGIN_MS} less than the time left (all of it when little is left);
   * -1 when the call has no deadline or this is not a call.
   */
  public static long callWaitMillis() {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return -1;
    }
    long remaining = Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS));
    return remaining > 2 * ANSWER_MARGIN_MS ? remaining - ANSWER_MARGIN_MS : remaining;
  }

  /** A pooled connection, bounded by the current gRPC call's deadline if there is one. */
  private Connection connect() throws SQLException {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return dataSource.getConnection(); // not a call (maintenance, signals), or a call with no deadline
    }
    long wait = callWaitMillis();
    if (wait <= 0) {
      throw new SQLTransientConnectionException("the call's deadline passed before it reached the database", "08001");
    }
    Connection c;
    if (dataSource instanceof HikariDataSource hikari && hikari.getHikariPoolMXBean() instanceof HikariPool pool) {
      c = pool.getConnection(Math.min(wait, hikari.getConnectionTimeout()));
    } else {
      c = dataSource.getConnection();
    }
    try {
      // the pool resets the timeout when the connection comes back
      c.setNetworkTimeout(Runnable::run, (int) Math.max(1, Math.min(Integer.MAX_VALUE, deadline.timeRemaining(TimeUnit.MILLISECONDS))));
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}

package io.overseer.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The connection pool, transactions and migrations. Repositories take the Connection. */
public final class Database {
  /** Work done with a connection; may throw SQLException. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DataSource dataSource;

  public Database(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public DataSource dataSource() {
    return dataSource;
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
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(e);
    }
  }

  /**
   * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws
   * (a domain exception thrown inside rolls everything back and leaves unchanged).
   */
  public <T> T transaction(SqlWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StoreException(e);
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}

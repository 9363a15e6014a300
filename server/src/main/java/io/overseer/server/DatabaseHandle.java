package io.overseer.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.overseer.server.store.Database;
import io.overseer.server.store.StatsRepository;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The PostgreSQL the server runs on: an external one named by a JDBC URL, or an embedded one
 * (Maven-shipped binaries) under the data directory, kept across restarts. Owns the pool.
 */
public final class DatabaseHandle implements AutoCloseable {
  private final EmbeddedPostgres embedded;
  private final HikariDataSource pool;
  private final String listenUrl;
  private final String description;

  private DatabaseHandle(EmbeddedPostgres embedded, String jdbcUrl, String listenUrl, int poolSize, String description) {
    this.embedded = embedded;
    this.listenUrl = listenUrl != null ? listenUrl : jdbcUrl;
    this.description = description;
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(poolSize);
    hc.setMinimumIdle(Math.min(4, poolSize));
    hc.setPoolName("overseer");
    hc.setConnectionTimeout(5_000);
    hc.setValidationTimeout(2_000);
    hc.setInitializationFailTimeout(30_000);
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    hc.addDataSourceProperty("ApplicationName", "overseer");
    this.pool = new HikariDataSource(hc);
  }

  public static DatabaseHandle open(ServerConfig config) throws IOException {
    if (config.databaseUrl != null) {
      return new DatabaseHandle(
          null, config.databaseUrl, config.listenDatabaseUrl, config.poolSize, "PostgreSQL at " + redact(config.databaseUrl));
    }
    Files.createDirectories(config.dataDir);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(config.dataDir.resolve("pg"))
            .setCleanDataDirectory(false)
            .setServerConfig("max_connections", "300")
            // zonky defaults to synchronous_commit=off for tests; a job server's commits are durable
            .setServerConfig("synchronous_commit", "on")
            .start();
    String url = pg.getJdbcUrl("postgres", "postgres");
    return new DatabaseHandle(pg, url, config.listenDatabaseUrl, config.poolSize, "embedded PostgreSQL at " + config.dataDir);
  }

  public HikariDataSource pool() {
    return pool;
  }

  /** A connection outside the pool, for LISTEN: to --listen-database-url, else the pool's URL. */
  public Connection openDedicated() throws SQLException {
    return DriverManager.getConnection(listenUrl);
  }

  /** E.g. "embedded PostgreSQL 17.6 at ./overseer-data", for the ready line. */
  public String description() {
    try {
      String version = new Database(pool).autocommit(new StatsRepository()::serverVersion);
      return description.replaceFirst("PostgreSQL", "PostgreSQL " + version);
    } catch (RuntimeException e) {
      return description;
    }
  }

  @Override
  public void close() throws IOException {
    pool.close();
    if (embedded != null) {
      embedded.close();
    }
  }

  /** The URL without its password, for logs and the ready line. */
  static String redact(String url) {
    return url == null ? null : url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}

package io.overseer.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh, empty PostgreSQL database for one test (class), so tests pass in any order.
 *
 * <p>The server is the one named by {@code OVERSEER_TEST_DATABASE_URL} when set, else one
 * embedded PostgreSQL started once per JVM. Each {@link #create()} makes a new database on it.
 */
public final class TestDatabase implements AutoCloseable {
  private static EmbeddedPostgres embedded;

  private final String adminUrl;
  private final String name;
  private final String url;

  private TestDatabase(String adminUrl, String name, String url) {
    this.adminUrl = adminUrl;
    this.name = name;
    this.url = url;
  }

  public static TestDatabase create() {
    String admin = adminUrl();
    String name = "ovs_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(admin);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database at " + admin + ": " + e.getMessage(), e);
    }
    return new TestDatabase(admin, name, withDatabase(admin, name));
  }

  /** JDBC URL of this test's database. */
  public String url() {
    return url;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url);
  }

  /** Whether the tests run on the external database of OVERSEER_TEST_DATABASE_URL. */
  public static boolean external() {
    String env = System.getenv("OVERSEER_TEST_DATABASE_URL");
    return env != null && !env.isBlank();
  }

  @Override
  public void close() {
    try (Connection c = DriverManager.getConnection(adminUrl);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      // a leftover test database is harmless
    }
  }

  private static synchronized String adminUrl() {
    if (external()) {
      return System.getenv("OVERSEER_TEST_DATABASE_URL");
    }
    if (embedded == null) {
      try {
        embedded = EmbeddedPostgres.builder().setServerConfig("max_connections", "500").start();
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the embedded PostgreSQL: " + e.getMessage(), e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::stopEmbedded));
    }
    return embedded.getJdbcUrl("postgres", "postgres");
  }

  private static void stopEmbedded() {
    try {
      embedded.close();
    } catch (Exception e) {
      // exiting anyway
    }
  }

  /** The same server URL with another database name. */
  static String withDatabase(String url, String database) {
    int slash = url.indexOf('/', "jdbc:postgresql://".length());
    int query = url.indexOf('?', slash);
    String rest = query < 0 ? "" : url.substring(query);
    return url.substring(0, slash + 1) + database + rest;
  }
}

package io.overseer.chaos;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL of one test's own (zonky's binaries) on a fixed data directory and port, so it can
 * crash and come back where its clients expect it. {@link #crash()} is an immediate-mode stop:
 * SIGQUIT to the postmaster, which is what {@code pg_ctl -m immediate stop} sends (zonky's
 * {@code pg_ctl} refuses to run as root, the postmaster does not mind a signal); the next start
 * runs crash recovery. Commits are synchronous here (zonky turns that off by default, which would
 * lose acknowledged commits in exactly this crash).
 */
final class RestartablePostgres implements AutoCloseable {
  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres postgres;

  private RestartablePostgres(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  static RestartablePostgres start(Path dataDir) throws IOException {
    RestartablePostgres pg = new RestartablePostgres(dataDir, Chaos.freePort());
    pg.start();
    return pg;
  }

  /** Starts (again) on the same directory and port. */
  void start() throws IOException {
    postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("max_connections", "100")
        .start();
  }

  /** Creates database {@code name} and returns its JDBC URL. */
  String createDatabase(String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(url("postgres"));
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
  }

  /** Immediate-mode stop: SIGQUIT to the postmaster, then waits until it is gone. */
  void crash() throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
    Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
    Chaos.signal(pid, "QUIT");
    if (postmaster.isPresent()) {
      try {
        postmaster.get().onExit().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("postmaster " + pid + " did not exit", e);
      }
    }
    closeQuietly(); // releases zonky's lock on the directory; its own stop finds nothing to stop
  }

  private void closeQuietly() {
    try {
      postgres.close();
    } catch (IOException | RuntimeException e) {
      // the server is already gone
    }
  }

  @Override
  public void close() throws IOException {
    closeQuietly();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

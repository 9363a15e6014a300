package io.overseer.chaos;

import io.overseer.server.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An Overseer node ({@code io.overseer.server.Main}, through {@link ChaosNodeMain}) in its own JVM
 * on a fixed loopback port, so a
 * test can SIGKILL it and start it again where clients with a fixed target list find it. Ready
 * when its log shows the {@code overseer listening on} line.
 */
final class NodeProcess implements AutoCloseable {
  private final String databaseUrl;
  private final int port;
  private final List<String> flags;
  private final Path logDir;
  private final String name;
  private Process process;
  private int starts;

  private NodeProcess(String name, String databaseUrl, int port, Path logDir, List<String> flags) {
    this.name = name;
    this.databaseUrl = databaseUrl;
    this.port = port;
    this.logDir = logDir;
    this.flags = flags;
  }

  /** Starts a node on a free port; {@link #restart()} brings it back on the same one. */
  static NodeProcess start(String name, String databaseUrl, Path logDir, String... flags) throws Exception {
    NodeProcess node = new NodeProcess(name, databaseUrl, Chaos.freePort(), logDir, List.of(flags));
    node.launch();
    return node;
  }

  private void launch() throws Exception {
    starts++;
    Path log = logDir.resolve(name + "-" + starts + ".log");
    List<String> args = new ArrayList<>(List.of(
        "--port=" + port, "--host=127.0.0.1", "--database-url=" + databaseUrl, "--db-pool-size=8"));
    args.addAll(flags);
    List<String> cmd = Chaos.javaCommand("256m", ChaosNodeMain.class.getName(), args, true);
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ready = Poll.eventually(Duration.ofSeconds(90), Duration.ofMillis(50), () -> {
      try {
        return !process.isAlive() || Files.readString(log).contains("overseer listening on");
      } catch (IOException e) {
        return false;
      }
    });
    if (!ready || !process.isAlive()) {
      process.destroyForcibly();
      throw new IllegalStateException("node " + name + " did not start:\n" + Files.readString(log));
    }
  }

  /** host:port of this node. */
  String target() {
    return "127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Starts the node again on the same port (after {@link #kill()}). */
  void restart() throws Exception {
    if (process.isAlive()) {
      throw new IllegalStateException("node " + name + " is still running");
    }
    launch();
  }

  /** What the node logged in its current life. */
  String log() throws IOException {
    return Files.readString(logDir.resolve(name + "-" + starts + ".log"));
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy(); // SIGTERM: a clean stop
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}

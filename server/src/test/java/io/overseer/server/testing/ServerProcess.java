package io.overseer.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server node in its own JVM ({@code io.overseer.server.Main} on this test's classpath), so
 * tests can send it SIGTERM or SIGKILL. Ready when it prints its {@code overseer listening on} line.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("^overseer listening on [^:]+:(\\d+) ");

  private final Process process;
  private final int port;
  private final Path log;

  private ServerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts a node on {@code db} with a free port; extra flags as on the command line. */
  public static ServerProcess start(TestDatabase db, String... flags) throws Exception {
    return start(db.url(), flags);
  }

  public static ServerProcess start(String databaseUrl, String... flags) throws Exception {
    Path log = Files.createTempFile("overseer-node", ".log");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        "-cp", System.getProperty("java.class.path"),
        "io.overseer.server.Main",
        "--port=0", "--host=127.0.0.1", "--database-url=" + databaseUrl, "--db-pool-size=8"));
    cmd.addAll(List.of(flags));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          Matcher m = READY.matcher(line);
          if (m.find()) {
            ready.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
      ready.completeExceptionally(new IllegalStateException("the server exited before it was ready"));
    }, "server-process-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ServerProcess(p, ready.get(60, TimeUnit.SECONDS), log);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("server did not start: " + Files.readString(log), e);
    }
  }

  public int port() {
    return port;
  }

  public String target() {
    return "127.0.0.1:" + port;
  }

  public ManagedChannel channel() {
    return NettyChannelBuilder.forTarget(target()).usePlaintext().build();
  }

  public long pid() {
    return process.pid();
  }

  /** SIGTERM: a clean shutdown. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: a crash. */
  public void kill() {
    process.destroyForcibly();
  }

  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    return process.waitFor(timeout, unit);
  }

  public int exitValue() {
    return process.exitValue();
  }

  /** What the node logged (stderr). */
  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.overseer.chaos;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Shared knobs of the reliability suite. The fast sizes run in every {@code ./mvnw verify}; the
 * {@code chaos} Maven profile sets {@code -Doverseer.chaos.long=true} for the long ones.
 */
final class Chaos {
  /** True under the {@code chaos} profile: the long versions of the scenarios. */
  static final boolean LONG = Boolean.getBoolean("overseer.chaos.long");

  private Chaos() {}

  static int pick(int fast, int longRun) {
    return LONG ? longRun : fast;
  }

  static Duration pick(Duration fast, Duration longRun) {
    return LONG ? longRun : fast;
  }

  /**
   * The command line of a child JVM running {@code mainClass} on this test's classpath; a node
   * ({@code node}: Logback, C2) or a worker (slf4j-simple, C1 only: it lives seconds, and uses less
   * CPU on a shared machine).
   */
  static List<String> javaCommand(String heap, String mainClass, List<String> args, boolean node) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap,
        "-XX:+UseSerialGC",
        node ? "-XX:+TieredCompilation" : "-XX:TieredStopAtLevel=1",
        "-Xss512k",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        // the test classpath has two SLF4J providers: a node logs with Logback (its LogSetup
        // needs it), a worker with slf4j-simple
        "-Dslf4j.provider=" + (node
            ? "ch.qos.logback.classic.spi.LogbackServiceProvider"
            : "org.slf4j.simple.SimpleServiceProvider"),
        "-cp", System.getProperty("java.class.path"),
        mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /** A loopback port free right now (for a node that must come back on the same port). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Where this run's processes write their logs: target/chaos/&lt;scenario&gt;-&lt;time&gt;. */
  static Path workDir(String scenario) throws IOException {
    Path dir = Path.of(System.getProperty("basedir", "."), "target", "chaos",
        scenario + "-" + System.currentTimeMillis());
    return Files.createDirectories(dir);
  }

  /** Sends a signal (STOP, CONT, QUIT…) to a process with the system's kill command. */
  static void signal(long pid, String signal) {
    try {
      Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed: "
            + new String(p.getInputStream().readAllBytes()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Prints a progress line of a scenario (phases, kills), with seconds since {@code startNanos}. */
  static void log(String scenario, long startNanos, String message) {
    System.out.printf("[chaos %s +%.1fs] %s%n", scenario, (System.nanoTime() - startNanos) / 1e9, message);
  }

  static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}

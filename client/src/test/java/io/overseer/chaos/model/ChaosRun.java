package io.overseer.chaos.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the reliability scenarios of this package share: the run size (fast by default, long with
 * {@code -Doverseer.chaos.long=true}, which the {@code chaos} Maven profile sets), the seed (printed;
 * {@code -Doverseer.chaos.seed=N} replays it), and the one result row each
 * scenario prints and writes to {@code target/reliability/<scenario>.json}.
 */
final class ChaosRun {
  static final String LONG_PROPERTY = "overseer.chaos.long";
  static final String SEED_PROPERTY = "overseer.chaos.seed";

  private ChaosRun() {}

  /** Whether this is the long run (issue 7's full sizes). */
  static boolean isLong() {
    return Boolean.parseBoolean(System.getProperty(LONG_PROPERTY, "false"));
  }

  /** {@code fast} normally, {@code long} in the long run. */
  static <T> T size(T fast, T longRun) {
    return isLong() ? longRun : fast;
  }

  /** The seed of a scenario: the replayed one if given, else a fresh one; printed either way. */
  static long seed(String scenario) {
    String given = System.getProperty(SEED_PROPERTY);
    long seed = given == null || given.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(given.strip());
    System.out.printf("[%s] seed %d (replay: -D%s=%d), %s run%n", scenario, seed, SEED_PROPERTY, seed, isLong() ? "long" : "fast");
    return seed;
  }

  /**
   * Silences what these scenarios provoke on purpose while open: the server's per-call warning of
   * every refused call, gRPC's stream errors on cut connections, protobuf's complaint about the
   * ill-formed UTF-16 the hostile test sends. Restores the levels on close.
   */
  static AutoCloseable quietLogs() {
    String rpcLogger = "io.overseer.server.rpc";
    String property = "org.slf4j.simpleLogger.log." + rpcLogger;
    String before = System.getProperty(property);
    System.setProperty(property, "error"); // for a logger not created yet
    org.slf4j.Logger rpc = org.slf4j.LoggerFactory.getLogger(rpcLogger);
    Object oldLevel = setLevel(rpc, 40); // slf4j-simple's ERROR, for one created already
    java.util.logging.Logger[] jul = {
      java.util.logging.Logger.getLogger("com.google.protobuf"),
      java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty"),
      java.util.logging.Logger.getLogger("io.grpc.internal.TransportFrameUtil")
    };
    java.util.logging.Level[] julBefore = new java.util.logging.Level[jul.length];
    for (int i = 0; i < jul.length; i++) {
      julBefore[i] = jul[i].getLevel();
      jul[i].setLevel(java.util.logging.Level.SEVERE);
    }
    return () -> {
      if (before == null) {
        System.clearProperty(property);
      } else {
        System.setProperty(property, before);
      }
      if (oldLevel != null) {
        setLevel(rpc, oldLevel);
      }
      for (int i = 0; i < jul.length; i++) {
        jul[i].setLevel(julBefore[i]);
      }
    };
  }

  /** Sets slf4j-simple's level field, best effort; returns the old value, or null if not possible. */
  private static Object setLevel(org.slf4j.Logger logger, Object level) {
    try {
      java.lang.reflect.Field f = logger.getClass().getDeclaredField("currentLogLevel");
      f.setAccessible(true);
      Object old = f.get(logger);
      f.set(logger, level);
      return old;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // another logging backend: its output stays as it is
    }
  }

  /**
   * One result row: scenario, runs, jobs, lost, finished twice, worst recovery time (null: n/a),
   * plus scenario-specific extras. Printed and written as JSON.
   */
  static final class ResultRow {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    ResultRow(String scenario, long seed) {
      fields.put("scenario", scenario);
      fields.put("mode", isLong() ? "long" : "fast");
      fields.put("seed", seed);
    }

    ResultRow put(String key, Object value) {
      fields.put(key, value);
      return this;
    }

    /** The columns every scenario has; {@code worstRecovery} null prints as n/a. */
    ResultRow core(long runs, long jobs, long lost, long finishedTwice, Duration worstRecovery) {
      fields.put("runs", runs);
      fields.put("jobs", jobs);
      fields.put("lost", lost);
      fields.put("finished_twice", finishedTwice);
      fields.put("worst_recovery_ms", worstRecovery == null ? "n/a" : worstRecovery.toMillis());
      return this;
    }

    String json() {
      StringBuilder b = new StringBuilder("{");
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        if (b.length() > 1) {
          b.append(", ");
        }
        b.append('"').append(e.getKey()).append("\": ");
        Object v = e.getValue();
        if (v instanceof Number || v instanceof Boolean) {
          b.append(v);
        } else {
          b.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
      }
      return b.append('}').toString();
    }

    /** Prints the row and writes it to target/reliability/<scenario>.json. */
    void publish() {
      String json = json();
      System.out.println("RESULT " + json);
      Path dir = Path.of(System.getProperty("basedir", "."), "target", "reliability");
      try {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(fields.get("scenario") + ".json"), json + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}

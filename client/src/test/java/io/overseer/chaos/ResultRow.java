package io.overseer.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One result row of the reliability suite: printed to stdout and written to
 * {@code client/target/reliability/<scenario>.json}. {@code extra} carries scenario-specific
 * figures (kills, orphans, thresholds) next to the common columns.
 */
record ResultRow(
    String scenario,
    int runs,
    long jobs,
    long lost,
    long finishedTwice,
    long worstRecoveryMs,
    Map<String, Object> extra) {

  ResultRow {
    extra = new LinkedHashMap<>(extra);
  }

  /** Scenario-specific figures in the given order: key, value, key, value… */
  static Map<String, Object> extras(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  String toJson() {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("scenario", scenario);
    all.put("mode", Chaos.LONG ? "long" : "fast");
    all.put("runs", runs);
    all.put("jobs", jobs);
    all.put("lost", lost);
    all.put("finished_twice", finishedTwice);
    all.put("worst_recovery_ms", worstRecoveryMs);
    all.putAll(extra);
    StringBuilder b = new StringBuilder("{");
    all.forEach((k, v) -> {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append('"').append(k).append("\": ").append(value(v));
    });
    return b.append('}').toString();
  }

  private static String value(Object v) {
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    String s = String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    return '"' + s + '"';
  }

  /** Prints the row and writes it to target/reliability/&lt;scenario&gt;.json; returns this. */
  ResultRow publish() {
    String json = toJson();
    System.out.println("RELIABILITY " + json);
    try {
      Path dir = Path.of(System.getProperty("basedir", "."), "target", "reliability");
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(scenario + ".json"), json + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }
}

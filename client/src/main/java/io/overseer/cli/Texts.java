package io.overseer.cli;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Small renderings shared by the commands' table output. */
final class Texts {
  private Texts() {}

  /** {@code 2026-05-01T12:00:03Z}; "" for an unset timestamp. */
  static String time(Timestamp t) {
    if (t == null || (t.getSeconds() == 0 && t.getNanos() == 0)) {
      return "";
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos())
        .truncatedTo(ChronoUnit.SECONDS)
        .toString();
  }

  /** {@code 2026-05-01T12:00:03.250Z}: to the millisecond, for log lines. */
  static String millisTime(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** {@code 1h30m}, {@code 45s}, {@code 250ms}; "" for an unset duration. */
  static String duration(Duration d) {
    if (d == null || (d.getSeconds() == 0 && d.getNanos() == 0)) {
      return "";
    }
    return duration(java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos()));
  }

  static String duration(java.time.Duration d) {
    if (d.toMillis() < 1000) {
      return d.toMillis() + "ms";
    }
    long s = d.getSeconds();
    StringBuilder out = new StringBuilder();
    if (s >= 86_400) {
      out.append(s / 86_400).append('d');
      s %= 86_400;
    }
    if (s >= 3_600) {
      out.append(s / 3_600).append('h');
      s %= 3_600;
    }
    if (s >= 60) {
      out.append(s / 60).append('m');
      s %= 60;
    }
    if (s > 0 || out.length() == 0) {
      out.append(s).append('s');
    }
    return out.toString();
  }

  /** {@code a=1,b=2} sorted by key. */
  static String labels(Map<String, String> labels) {
    return new TreeMap<>(labels).entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }

  /** Human byte counts: {@code 512 B}, {@code 1.5 KiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int unit = -1;
    while (v >= 1024 && unit < units.length - 1) {
      v /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[unit]);
  }
}

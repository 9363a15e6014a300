package io.overseer.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses durations as people write them: {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h30m},
 * {@code 2d}, a bare number of seconds, or ISO-8601 ({@code PT30S}).
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String value) {
    String text = value.strip().toLowerCase(Locale.ROOT);
    if (text.startsWith("pt") || text.startsWith("p")) {
      try {
        return Duration.parse(text.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(value);
      }
    }
    if (text.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(text));
    }
    Matcher m = PART.matcher(text);
    int end = 0;
    Duration total = Duration.ZERO;
    while (m.find() && m.start() == end) {
      double amount = Double.parseDouble(m.group(1));
      long unitMillis;
      switch (m.group(2)) {
        case "ms":
          unitMillis = 1;
          break;
        case "s":
          unitMillis = 1_000;
          break;
        case "m":
          unitMillis = 60_000;
          break;
        case "h":
          unitMillis = 3_600_000;
          break;
        default:
          unitMillis = 86_400_000;
      }
      total = total.plusMillis(Math.round(amount * unitMillis));
      end = m.end();
    }
    if (end == 0 || end != text.length()) {
      throw invalid(value);
    }
    return total;
  }

  private static CommandLine.TypeConversionException invalid(String value) {
    return new CommandLine.TypeConversionException(
        "'" + value + "' is not a duration; write e.g. 30s, 500ms, 5m, 1h30m");
  }
}

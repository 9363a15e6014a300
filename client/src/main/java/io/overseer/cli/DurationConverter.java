package io.overseer.cli;

import io.overseer.text.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Parses durations as people write them, with {@link Durations#parse} (the server's flags use it
 * too): {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h30m}, {@code 2d}, a bare number of
 * seconds, or ISO-8601 ({@code PT30S}).
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** {@link Durations#parse}, its error as picocli's. */
  public static Duration parse(String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}

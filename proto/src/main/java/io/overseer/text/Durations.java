package io.overseer.text;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them, the one parser of the server's flags and the CLI's options.
 *
 * <ul>
 *   <li>a number with a unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}:
 *       {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d};
 *   <li>several of them run together, added up: {@code 1h30m}, {@code 1m30s}, {@code 2s500ms};
 *   <li>decimals, each part rounded to whole milliseconds: {@code 1.5s}, {@code 0.5d};
 *   <li>a bare number of seconds: {@code 0}, {@code 30};
 *   <li>ISO-8601, as {@link Duration#parse} reads it: {@code PT30S}, {@code P1D}, {@code PT1H30M}.
 * </ul>
 *
 * Units and ISO letters may be in either case, surrounding whitespace is ignored, and a leading
 * {@code -} or {@code +} applies to the whole: {@code -1h30m} is minus 90 minutes. Negative
 * durations are parsed, not refused: whether one makes sense is the caller's to say, with a
 * message that names its setting.
 */
public final class Durations {
  /** One number and its unit; {@code ms} is tried before {@code m}. */
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  private static final Pattern SECONDS = Pattern.compile("\\d+");

  private static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(Long.MAX_VALUE);

  private Durations() {}

  /**
   * The duration {@code value} names.
   *
   * @throws IllegalArgumentException if it is not one of the forms above (or too long for a
   *     {@link Duration}), with a message that quotes it and shows examples
   */
  public static Duration parse(String value) {
    if (value == null) {
      throw invalid(null);
    }
    String text = value.strip().toLowerCase(Locale.ROOT);
    boolean signed = text.startsWith("-") || text.startsWith("+");
    String body = signed ? text.substring(1) : text;
    try {
      if (body.startsWith("p")) {
        return Duration.parse(text.toUpperCase(Locale.ROOT)); // takes the sign itself
      }
      BigDecimal seconds = SECONDS.matcher(body).matches() ? new BigDecimal(body) : sumOfParts(body);
      if (seconds == null || seconds.abs().compareTo(MAX_SECONDS) > 0) {
        throw invalid(value);
      }
      if (text.startsWith("-")) {
        seconds = seconds.negate();
      }
      BigDecimal[] whole = seconds.divideAndRemainder(BigDecimal.ONE);
      return Duration.ofSeconds(whole[0].longValueExact(), whole[1].movePointRight(9).longValueExact());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw invalid(value);
    }
  }

  /** Seconds, each part rounded to milliseconds; null unless {@code body} is all parts. */
  private static BigDecimal sumOfParts(String body) {
    Matcher m = PART.matcher(body);
    int end = 0;
    BigDecimal total = BigDecimal.ZERO;
    while (m.find() && m.start() == end) {
      BigDecimal amount = new BigDecimal(m.group(1));
      BigDecimal seconds;
      switch (m.group(2)) {
        case "ms":
          seconds = amount.movePointLeft(3);
          break;
        case "s":
          seconds = amount;
          break;
        case "m":
          seconds = amount.multiply(BigDecimal.valueOf(60));
          break;
        case "h":
          seconds = amount.multiply(BigDecimal.valueOf(3_600));
          break;
        default:
          seconds = amount.multiply(BigDecimal.valueOf(86_400));
      }
      total = total.add(seconds.setScale(3, RoundingMode.HALF_UP));
      end = m.end();
    }
    return end == 0 || end != body.length() ? null : total;
  }

  private static IllegalArgumentException invalid(String value) {
    return new IllegalArgumentException(
        "'" + value + "' is not a duration; write e.g. 500ms, 30s, 5m, 1h30m, 7d, 1.5s or ISO-8601 PT30S");
  }
}

package io.overseer.server.domain;

import java.time.Instant;

/**
 * A line a worker appends, as it will be stored: its text cut to {@link #MAX_TEXT_BYTES}, and what
 * it counts against the per-job cap ({@link #bytes}).
 *
 * @param time when the worker wrote it; null: the database's now()
 */
public record NewLogLine(Instant time, String stream, String text, int bytes, boolean cut) {
  /** The most a stored line's text takes in UTF-8, the cut marker included. */
  public static final int MAX_TEXT_BYTES = 16 * 1024;
  /** What a line counts against the cap besides its text and stream, so empty lines are not free. */
  public static final int LINE_OVERHEAD_BYTES = 16;
  public static final String DEFAULT_STREAM = "stdout";
  /** Room kept for " …[cut N bytes]" (26 bytes for a 10-digit N). */
  private static final int MARKER_ROOM = 32;

  /** The line to store: stream "stdout" when empty, text cut to fit with a marker. */
  public static NewLogLine of(Instant time, String stream, String text) {
    String s = stream.isEmpty() ? DEFAULT_STREAM : stream;
    long total = utf8Length(text, text.length());
    String stored = text;
    boolean cut = total > MAX_TEXT_BYTES;
    if (cut) {
      int end = prefixWithin(text, MAX_TEXT_BYTES - MARKER_ROOM);
      stored = text.substring(0, end) + " …[cut " + (total - utf8Length(text, end)) + " bytes]";
    }
    int bytes = (int) utf8Length(stored, stored.length()) + (int) utf8Length(s, s.length()) + LINE_OVERHEAD_BYTES;
    return new NewLogLine(time, s, stored, bytes, cut);
  }

  /** The UTF-8 length of {@code s}'s first {@code end} chars (a lone surrogate, which no parsed request carries, counts 3). */
  static long utf8Length(String s, int end) {
    long n = 0;
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** The longest prefix (in chars, never splitting a surrogate pair) whose UTF-8 fits {@code maxBytes}. */
  private static int prefixWithin(String s, int maxBytes) {
    long n = 0;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      int size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
      if (n + size > maxBytes) {
        break;
      }
      n += size;
      i += pair ? 2 : 1;
    }
    return i;
  }
}

package io.overseer.server.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/** Opaque keyset cursors: the position of the last item of a page. */
final class PageTokens {
  /** A position in the newest-first job list. */
  record JobCursor(Instant createTime, UUID id) {}

  /** The range of proto Timestamps (years 1 to 9999), in microseconds since the epoch. */
  private static final long MIN_MICROS = -62135596800L * 1_000_000L;
  private static final long MAX_MICROS = 253402300799L * 1_000_000L + 999_999L;

  private PageTokens() {}

  static String jobs(Instant createTime, UUID id) {
    long micros = createTime.getEpochSecond() * 1_000_000L + createTime.getNano() / 1000;
    return encode("j1:" + micros + ":" + id);
  }

  static JobCursor jobs(String token, RequestValidator v) {
    String[] parts = decode(token).split(":");
    try {
      if (parts.length == 3 && parts[0].equals("j1")) {
        long micros = Long.parseLong(parts[1]);
        if (micros < MIN_MICROS || micros > MAX_MICROS) {
          throw new IllegalArgumentException("out of range"); // a forged token PostgreSQL would refuse
        }
        Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
        return new JobCursor(t, UUID.fromString(parts[2]));
      }
    } catch (RuntimeException e) {
      // reported below
    }
    v.fail("page_token", "not a page token of ListJobs; pass next_page_token from the previous page");
    return null;
  }

  static String events(long lastSequence) {
    return encode("e1:" + lastSequence);
  }

  static long events(String token, RequestValidator v) {
    String[] parts = decode(token).split(":");
    try {
      if (parts.length == 2 && parts[0].equals("e1")) {
        long seq = Long.parseLong(parts[1]);
        if (seq >= 0) {
          return seq;
        }
      }
    } catch (RuntimeException e) {
      // reported below
    }
    v.fail("page_token", "not a page token of ListJobEvents; pass next_page_token from the previous page");
    return 0;
  }

  static String logs(long lastSequence) {
    return encode("l1:" + lastSequence);
  }

  static long logs(String token, RequestValidator v) {
    String[] parts = decode(token).split(":");
    try {
      if (parts.length == 2 && parts[0].equals("l1")) {
        long seq = Long.parseLong(parts[1]);
        if (seq >= 0) {
          return seq;
        }
      }
    } catch (RuntimeException e) {
      // reported below
    }
    v.fail("page_token", "not a page token of ListJobLogs; pass next_page_token from the previous page");
    return 0;
  }

  private static String encode(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String token) {
    try {
      return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}

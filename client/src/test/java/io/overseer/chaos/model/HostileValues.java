package io.overseer.chaos.model;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Pools of hostile field values: boundaries, wrong shapes, huge and strange strings, invalid UTF-8.
 * Field names only bias the choice (an {@code id} is more often a UUID-like string), so a field or
 * RPC added later gets the generic pools.
 */
final class HostileValues {
  /** Real ids and lease tokens of jobs in known states, so that deep validation paths are reached. */
  interface Fixtures {
    List<String> jobIds();

    List<String> leaseTokens();
  }

  private static final String[] STRANGE = {
    "", " ", "a", "demo", "default", "x".repeat(128), "x".repeat(129), "x".repeat(256), "x".repeat(257),
    "nul\u0000inside", "\u0000", "tab\tand\nnewline", "ünïcödé", "日本語のタイプ", "emoji 🎉💥", "\uD800", "\uDFFF lone",
    "rtl \u202Eevil", "zero\u200Bwidth", "%s%n%x", "'; DROP TABLE jobs;--", "\\", "\"", "../../etc/passwd", "a b",
    "UPPER.lower-09_:", "queue,other", "*", "null", "NaN", "-1", "00000000-0000-0000-0000-000000000000",
    "JOB_STATE_COMPLETED", "\r\n\r\n", "\u00A0", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢".repeat(30)
  };

  private static final long[] LONGS = {
    0, 1, -1, 2, 99, 100, 101, 127, 128, 255, 256, 999, 1000, 1001, -999, -1000, -1001, 65535, 65536,
    Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE - 1L, Long.MAX_VALUE, Long.MIN_VALUE,
    1L << 53, -(1L << 53)
  };

  /** Seconds for Timestamp and Duration: proto range edges, the SPEC's limits, extremes. */
  private static final long[] SECONDS = {
    0, 1, -1, 59, 60, 61, 3599, 3600, 3601, 604_799, 604_800, 604_801, 315_576_000_000L, 315_576_000_001L,
    -62_135_596_800L, -62_135_596_801L, 253_402_300_799L, 253_402_300_800L, Long.MAX_VALUE, Long.MIN_VALUE,
    Integer.MAX_VALUE, 1_700_000_000L, 4_102_444_800L
  };

  private static final int[] NANOS = {0, 1, -1, 999_999_999, 1_000_000_000, Integer.MAX_VALUE, Integer.MIN_VALUE, 500_000_000};

  /** Byte sequences that are not UTF-8: stray continuation, overlong NUL, surrogate, truncated, 0xFF. */
  static final byte[][] INVALID_UTF8 = {
    {(byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
    {(byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF}, {'o', 'k', (byte) 0xC3}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
    {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {'a', (byte) 0xC3, (byte) 0x28, 'b'}
  };

  private final Random r;
  private final Fixtures fixtures;

  HostileValues(Random r, Fixtures fixtures) {
    this.r = r;
    this.fixtures = fixtures;
  }

  <T> T pick(T[] values) {
    return values[r.nextInt(values.length)];
  }

  boolean chance(int percent) {
    return r.nextInt(100) < percent;
  }

  /** A string for the field {@code name}: fitting now and then, hostile mostly. */
  String string(String name) {
    int roll = r.nextInt(100);
    if (roll < 8) {
      return huge();
    }
    if (name.endsWith("id") && roll < 45) {
      return ids();
    }
    if (name.contains("token") && roll < 50) {
      return tokens(name);
    }
    if ((name.equals("type") || name.equals("queue") || name.equals("queues") || name.equals("types")) && roll < 45) {
      return pick(new String[] {"hostile", "hostile.q", "demo", "q" + r.nextInt(3)});
    }
    if (roll < 80) {
      return pick(STRANGE);
    }
    return random(r.nextInt(40));
  }

  private String ids() {
    List<String> known = fixtures.jobIds();
    switch (r.nextInt(6)) {
      case 0:
      case 1:
        return known.isEmpty() ? UUID.randomUUID().toString() : known.get(r.nextInt(known.size()));
      case 2:
        return UUID.randomUUID().toString();
      case 3:
        return UUID.randomUUID().toString().toUpperCase();
      case 4:
        return "{" + UUID.randomUUID() + "}";
      default:
        return UUID.randomUUID().toString().substring(0, 30);
    }
  }

  private String tokens(String name) {
    List<String> known = fixtures.leaseTokens();
    if (name.equals("page_token")) {
      String[] forged = {
        "j1:" + Long.MAX_VALUE + ":" + UUID.randomUUID(), "j1:-62135596800000001:" + UUID.randomUUID(), "j1:0:x", "e1:-1",
        "e1:99999999999999999999", "e1:" + Long.MAX_VALUE, "e1:2147483648", "e1:0", "j1:1:2:3", "e1", ""
      };
      String plain = pick(forged);
      return r.nextBoolean() ? Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8)) : plain;
    }
    switch (r.nextInt(4)) {
      case 0:
      case 1:
        return known.isEmpty() ? "1.abc" : known.get(r.nextInt(known.size()));
      case 2:
        return r.nextInt(1000) + "." + UUID.randomUUID().toString().replace("-", "");
      default:
        return pick(STRANGE);
    }
  }

  /** 64 KiB to 3 MiB, of one character or of random text (a slice of one block made once). */
  String huge() {
    int[] sizes = {65_536, 300_000, 1_048_577, 3 * 1_048_576};
    int size = sizes[r.nextInt(r.nextInt(10) == 0 ? sizes.length : 2)];
    if (r.nextBoolean()) {
      return "x".repeat(size);
    }
    if (block == null) {
      block = random(1_100_000);
    }
    int length = Math.min(size / 3, block.length() - 1);
    int from = r.nextInt(block.length() - length);
    return block.substring(from, from + length);
  }

  private String block;

  /** Random code points, surrogates and controls included. */
  String random(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int kind = r.nextInt(4);
      b.append(kind == 0 ? (char) r.nextInt(0x80) : kind == 1 ? (char) r.nextInt(0x10000) : (char) ('a' + r.nextInt(26)));
    }
    return b.toString();
  }

  long integer(String name, boolean signed32) {
    long v = r.nextInt(4) == 0 ? r.nextLong() : LONGS[r.nextInt(LONGS.length)];
    return signed32 ? (int) v : v;
  }

  int enumNumber() {
    int[] numbers = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 99, Integer.MAX_VALUE, Integer.MIN_VALUE};
    return numbers[r.nextInt(numbers.length)];
  }

  long seconds(String name) {
    if (name.equals("wait") && r.nextInt(3) > 0) {
      return r.nextInt(2) == 0 ? 0 : -1 - r.nextInt(5); // a valid wait would long-poll: keep it short
    }
    return SECONDS[r.nextInt(SECONDS.length)] + (r.nextInt(4) == 0 ? System.currentTimeMillis() / 1000 : 0);
  }

  int nanos() {
    return r.nextInt(3) == 0 ? r.nextInt(1_000_000_000) : NANOS[r.nextInt(NANOS.length)];
  }

  double number() {
    double[] numbers = {0, -0.0, 1, -1, 0.1, 1e308, -1e308, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 9007199254740993.0, 1e65, 1e300};
    return r.nextInt(3) == 0 ? r.nextGaussian() * 1e6 : numbers[r.nextInt(numbers.length)];
  }

  ByteString bytes() {
    byte[] b = new byte[r.nextInt(64)];
    r.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  byte[] invalidUtf8() {
    byte[] bad = INVALID_UTF8[r.nextInt(INVALID_UTF8.length)];
    if (r.nextBoolean()) {
      return bad;
    }
    byte[] padded = new byte[bad.length + 8];
    System.arraycopy("prefix__".getBytes(StandardCharsets.US_ASCII), 0, padded, 0, 8);
    System.arraycopy(bad, 0, padded, 8, bad.length);
    return padded;
  }

  int count(Supplier<Integer> usual) {
    int roll = r.nextInt(100);
    if (roll < 3) {
      return 1001;
    }
    if (roll < 6) {
      return 1000;
    }
    if (roll < 10) {
      return 65;
    }
    return usual.get();
  }
}

package io.overseer.server.domain;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

/**
 * New job and asset ids: version 7 UUIDs (RFC 9562), whose first 48 bits are the Unix time in
 * milliseconds, then 12 bits of sub-millisecond time and 62 random bits.
 *
 * <p>Why not random (version 4) ids: PostgreSQL orders uuids bytewise, so random ids put every new
 * job on a different leaf page of the jobs and events primary keys. After each checkpoint the
 * first write to a page logs the whole page; with a million finished jobs that multiplied the WAL
 * of a run by 4.5 (BENCHMARKS.md). Time-ordered ids append to the right-hand pages instead.
 *
 * <p>Ids are ordering hints only: nothing relies on two nodes' clocks agreeing, and they stay
 * unguessable enough (62 random bits) while access is decided by ownership, not by secrecy.
 */
public final class TimeOrderedIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TimeOrderedIds() {}

  /** A new id from the JVM's clock. */
  public static UUID next() {
    Instant now = Instant.now(); // microseconds on Linux: the fraction orders ids within a millisecond
    return of(now.toEpochMilli(), now.getNano() % 1_000_000 * 4096 / 1_000_000, RANDOM.nextLong());
  }

  /** The id for a time in milliseconds, a 12-bit sub-millisecond fraction and random bits. */
  static UUID of(long unixMillis, int subMillis, long random) {
    long high = (unixMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | (subMillis & 0xFFFL);
    long low = random & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L; // variant 10
    return new UUID(high, low);
  }
}

package io.overseer.server.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class TimeOrderedIdsTest {

  @Test
  void layoutIsVersion7WithTheTimeInFront() {
    long millis = 0x0191_2345_6789L;
    UUID id = TimeOrderedIds.of(millis, 0xABC, -1L);
    assertEquals(7, id.version());
    assertEquals(2, id.variant());
    assertEquals(millis, id.getMostSignificantBits() >>> 16);
    assertEquals(0xABC, id.getMostSignificantBits() & 0xFFF);
    assertEquals("01912345-6789-7abc-bfff-ffffffffffff", id.toString());
  }

  @Test
  void laterMillisecondsSortLaterAsPostgresComparesThem() {
    // PostgreSQL compares uuids bytewise (unsigned), i.e. as their canonical strings
    UUID earlier = TimeOrderedIds.of(1_700_000_000_000L, 4095, -1L);
    UUID later = TimeOrderedIds.of(1_700_000_000_001L, 0, 0L);
    assertTrue(earlier.toString().compareTo(later.toString()) < 0);
  }

  @Test
  void newIdsCarryTheCurrentTimeAndDiffer() {
    long before = System.currentTimeMillis();
    UUID a = TimeOrderedIds.next();
    UUID b = TimeOrderedIds.next();
    long after = System.currentTimeMillis();
    long t = a.getMostSignificantBits() >>> 16;
    assertTrue(t >= before && t <= after, "id time " + t + " outside [" + before + ", " + after + "]");
    assertEquals(7, b.version());
    assertTrue(!a.equals(b));
  }
}

package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The server's duration flags read what the CLI reads (io.overseer.text.Durations). */
class ServerConfigDurationsTest {
  @Test
  void flagsTakeCombinedAndDecimalDurations() {
    assertEquals(Duration.ofMinutes(90), ServerConfig.parse("--cancel-grace", "1h30m").cancelGrace);
    assertEquals(Duration.ofHours(36), ServerConfig.parse("--retention=1.5d").retention);
    assertEquals(Duration.ofMillis(1500), ServerConfig.parse("--maintenance-interval=1s500ms").maintenanceInterval);
    assertEquals(Duration.ofSeconds(45), ServerConfig.parse("--drain-timeout=PT45S").drainTimeout);
    assertEquals(Duration.ofSeconds(20), ServerConfig.parse("--housekeeping-interval=20").housekeepingInterval);
    assertEquals(Duration.ZERO, ServerConfig.parse("--compact-progress-after=0").compactProgressAfter);
    assertEquals(Map.of("slow", Duration.ofSeconds(90)), ServerConfig.parse("--stall-after=slow=1m30s").stallThresholds());
  }

  @Test
  void defaultsAreUnchanged() {
    ServerConfig config = ServerConfig.parse();
    assertEquals(Duration.ofSeconds(30), config.cancelGrace);
    assertEquals(Duration.ofSeconds(1), config.maintenanceInterval);
    assertEquals(Duration.ofSeconds(10), config.drainTimeout);
    assertEquals(Duration.ofDays(7), config.retention);
    assertEquals(Duration.ZERO, config.compactProgressAfter);
    assertEquals(Duration.ofSeconds(10), config.housekeepingInterval);
  }

  @Test
  void aBadDurationNamesTheFlagAndTheFormat() {
    CommandLine.ParameterException e =
        assertThrows(CommandLine.ParameterException.class, () -> ServerConfig.parse("--cancel-grace", "1h 30m"));
    assertTrue(e.getMessage().contains("--cancel-grace"), e.getMessage());
    assertTrue(e.getMessage().contains("'1h 30m' is not a duration; write e.g. 500ms, 30s, 5m, 1h30m"), e.getMessage());

    IllegalArgumentException stall =
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parse("--stall-after=slow=soon"));
    assertTrue(stall.getMessage().startsWith("--stall-after: 'soon' is not a duration"), stall.getMessage());
  }

  @Test
  void aNegativeDurationIsRefusedByTheFlagsCheck() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parse("--cancel-grace=-5s"));
    assertEquals("--cancel-grace must not be negative", e.getMessage());
  }
}

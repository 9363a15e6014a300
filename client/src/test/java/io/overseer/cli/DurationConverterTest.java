package io.overseer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
  @Test
  void parsesHumanAndIsoDurations() {
    assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30s"));
    assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30"));
    assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
    assertEquals(Duration.ofMinutes(90), DurationConverter.parse("1h30m"));
    assertEquals(Duration.ofMillis(1500), DurationConverter.parse("1.5s"));
    assertEquals(Duration.ofDays(2), DurationConverter.parse("2d"));
    assertEquals(Duration.ofSeconds(30), DurationConverter.parse("PT30S"));
  }

  @Test
  void rejectsNonsense() {
    for (String bad : new String[] {"", "s", "30x", "1h 30m", "ten", "30s!"}) {
      assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse(bad),
          bad);
    }
  }
}

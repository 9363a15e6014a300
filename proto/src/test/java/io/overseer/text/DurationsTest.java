package io.overseer.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  /** Everything the server's flags or the CLI's options took before they shared this parser. */
  @ParameterizedTest(name = "''{0}'' is {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0       | PT0S",
        "0s      | PT0S",
        "30      | PT30S",
        "500ms   | PT0.5S",
        "30s     | PT30S",
        "5m      | PT5M",
        "2h      | PT2H",
        "7d      | PT168H",
        "1h30m   | PT1H30M",
        "1m30s   | PT1M30S",
        "2s500ms | PT2.5S",
        "1d12h   | PT36H",
        "1.5s    | PT1.5S",
        "0.5d    | PT12H",
        "1.5ms   | PT0.002S",
        "PT30S   | PT30S",
        "pt30s   | PT30S",
        "P1D     | PT24H",
        "PT1H30M | PT1H30M",
        "PT0.25S | PT0.25S",
        "30S     | PT30S",
        "1H30M   | PT1H30M",
        "' 30s ' | PT30S",
        "+30s    | PT30S",
        "-5s     | PT-5S",
        "-1h30m  | PT-1H-30M",
        "-500ms  | PT-0.5S",
        "-PT5S   | PT-5S",
        "PT-5S   | PT-5S",
      })
  void parses(String text, String iso) {
    assertEquals(Duration.parse(iso), Durations.parse(text));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(
      strings = {
        "", " ", "s", "ms", "-", "+", "--5s", "+-5s", "30x", "1h 30m", "1h,30m", "ten", "30s!", "1.5",
        ".5s", "5.s", "P", "PT", "pt5x", "5sec", "1e3s", "0x10s", "106751991167301d", "9223372036854775808",
      })
  void refuses(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    assertEquals(
        "'" + text + "' is not a duration; write e.g. 500ms, 30s, 5m, 1h30m, 7d, 1.5s or ISO-8601 PT30S",
        e.getMessage());
  }

  @Test
  void refusesNull() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse(null));
  }

  @Test
  void longestDuration() {
    assertEquals(Duration.ofSeconds(Long.MAX_VALUE), Durations.parse("9223372036854775807"));
    assertEquals(Duration.ofSeconds(Long.MAX_VALUE).negated(), Durations.parse("-9223372036854775807s"));
  }
}

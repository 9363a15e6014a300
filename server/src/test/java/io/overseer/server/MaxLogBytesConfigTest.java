package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --max-log-bytes-per-job: 16 MiB by default, at least 64 KiB, listed by --help with its variable. */
class MaxLogBytesConfigTest {
  @Test
  void defaultsTo16MiB() {
    assertEquals(16L * 1024 * 1024, ServerConfig.parse().maxLogBytesPerJob);
    assertEquals(65536, ServerConfig.parse("--max-log-bytes-per-job=65536").maxLogBytesPerJob);
  }

  @Test
  void aCapBelow64KiBIsRefusedNamingTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.parse("--max-log-bytes-per-job=1000"));
    assertTrue(e.getMessage().startsWith("--max-log-bytes-per-job must be at least 65536"), e.getMessage());
  }

  @Test
  void helpListsItWithItsEnvironmentVariable() {
    String help = new CommandLine(new ServerConfig()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertTrue(help.contains("--max-log-bytes-per-job"), help);
    assertTrue(help.contains("OVERSEER_MAX_LOG_BYTES_PER_JOB"), help);
  }
}

package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --listen-database-url: validated like --database-url, listed by --help with its variable. */
class ListenDatabaseUrlConfigTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/overseer?user=postgres";

  @Test
  void takesAJdbcPostgresqlUrl() {
    assertEquals(URL, ServerConfig.parse("--database-url=" + URL, "--listen-database-url=" + URL).listenDatabaseUrl);
  }

  @Test
  void rejectsAnythingElseWithoutShowingThePassword() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.parse("--listen-database-url=postgres://db/overseer?user=u&password=secret"));
    assertTrue(e.getMessage().startsWith("--listen-database-url must start with jdbc:postgresql:"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void helpListsItWithItsEnvironmentVariable() {
    String help = new CommandLine(new ServerConfig()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertTrue(help.contains("--listen-database-url"), help);
    assertTrue(help.contains("OVERSEER_LISTEN_DATABASE_URL"), help);
  }
}

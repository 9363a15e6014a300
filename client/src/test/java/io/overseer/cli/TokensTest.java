package io.overseer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {
  @Test
  void tokensAreRandomBase64UrlWithAPrefix() {
    String token = Tokens.newToken(new SecureRandom());
    assertTrue(token.matches("ovs_[A-Za-z0-9_-]{43}"), token);
    assertNotEquals(token, Tokens.newToken(new SecureRandom()));
  }

  @Test
  void sha256IsLowercaseHexOfTheWholeToken() {
    // FIPS 180-2 test vector
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Tokens.sha256Hex("abc"));
  }

  @Test
  void tokensFileLine() {
    String line = Tokens.fileLine("abc", "alice", List.of("caller", "worker"));
    assertEquals(
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad alice caller,worker",
        line);
    assertTrue(line.matches("sha256:[0-9a-f]{64} \\S+ (caller|worker|admin)(,(caller|worker|admin))*"));
  }

  @Test
  void rejectsBadPrincipalsAndRoles() {
    assertThrows(UsageException.class, () -> Tokens.fileLine("t", "two words", List.of("caller")));
    assertThrows(UsageException.class, () -> Tokens.fileLine("t", "#x", List.of("caller")));
    assertThrows(UsageException.class, () -> Tokens.fileLine("t", "bob", List.of("root")));
    assertThrows(UsageException.class, () -> Tokens.fileLine("t", "bob", List.of()));
  }
}

package io.overseer.cli;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/** API tokens and their lines in the server's tokens file. */
final class Tokens {
  static final String PREFIX = "ovs_";
  static final Set<String> ROLES = Set.of("caller", "worker", "admin");

  private Tokens() {}

  /** {@code ovs_} and 32 random bytes in unpadded base64url (43 characters). */
  static String newToken(SecureRandom random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Lowercase hex SHA-256 of the token's UTF-8 bytes (64 digits). */
  static String sha256Hex(String token) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** {@code sha256:<hex> <principal> <role>[,<role>...]}, validated. */
  static String fileLine(String token, String principal, List<String> roles) {
    if (principal == null || !principal.matches("[^\\s#][^\\s]*")) {
      throw new UsageException(
          "--principal must be one word without spaces (and not start with #): " + principal);
    }
    if (roles.isEmpty()) {
      throw new UsageException("--roles needs at least one of caller, worker, admin");
    }
    for (String role : roles) {
      if (!ROLES.contains(role)) {
        throw new UsageException("unknown role '" + role + "'; roles are caller, worker, admin");
      }
    }
    return "sha256:" + sha256Hex(token) + " " + principal + " " + String.join(",", roles);
  }
}

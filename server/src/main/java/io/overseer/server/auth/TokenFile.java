package io.overseer.server.auth;

import io.overseer.server.domain.Principal;
import io.overseer.server.domain.Principal.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens file: one line per token, {@code sha256:<64 hex> <principal> <role>[,<role>…]};
 * blank lines and {@code #} comments ignored. Only hashes are stored, compared in constant time.
 */
public final class TokenFile {
  /** One line of the file. */
  record Entry(byte[] sha256, Principal principal) {}

  private final List<Entry> entries;

  private TokenFile(List<Entry> entries) {
    this.entries = entries;
  }

  /** Parses the file; throws IllegalArgumentException naming the bad line. */
  public static TokenFile read(Path path) throws IOException {
    List<Entry> entries = new ArrayList<>();
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      entries.add(parse(line, path + ":" + (i + 1)));
    }
    return new TokenFile(List.copyOf(entries));
  }

  static Entry parse(String line, String where) {
    String[] parts = line.split("\\s+");
    if (parts.length != 3 || !parts[0].startsWith("sha256:") || parts[0].length() != "sha256:".length() + 64) {
      throw new IllegalArgumentException(
          where + ": expected 'sha256:<64 hex digits> <principal> <role>[,<role>…]' (make one with 'overseer token new')");
    }
    byte[] hash;
    try {
      hash = HexFormat.of().parseHex(parts[0].substring("sha256:".length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": the hash is not 64 hex digits");
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String r : parts[2].split(",")) {
      try {
        roles.add(Role.valueOf(r.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": unknown role '" + r + "'; roles are caller, worker, admin");
      }
    }
    return new Entry(hash, new Principal(parts[1], roles));
  }

  /** The principal of a presented token. Every entry is compared, each in constant time. */
  public Optional<Principal> principalOf(String token) {
    byte[] presented = sha256(token);
    Principal found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.sha256(), presented)) {
        found = e.principal();
      }
    }
    return Optional.ofNullable(found);
  }

  static TokenFile empty() {
    return new TokenFile(List.of());
  }

  public int size() {
    return entries.size();
  }

  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

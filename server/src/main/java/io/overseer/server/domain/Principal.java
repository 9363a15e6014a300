package io.overseer.server.domain;

import java.util.EnumSet;
import java.util.Set;

/** Who is calling, and what they may do. */
public record Principal(String name, Set<Role> roles) {
  public enum Role {
    CALLER,
    WORKER,
    ADMIN
  }

  /** Every caller when the server runs without a tokens file. */
  public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.allOf(Role.class));

  /** The actor of events the server causes by itself. */
  public static final String SYSTEM = "system";

  public boolean isAdmin() {
    return roles.contains(Role.ADMIN);
  }

  /** The owner filter for job reads: null means every owner. */
  public String ownerScope() {
    return isAdmin() ? null : name;
  }
}

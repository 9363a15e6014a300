package io.overseer.server.api;

import io.grpc.Context;
import io.overseer.server.domain.Principal;

/** The principal of the current call, put in the gRPC Context by the auth interceptor. */
public final class CallerIdentity {
  public static final Context.Key<Principal> PRINCIPAL = Context.key("overseer-principal");

  private CallerIdentity() {}

  /** The caller; anonymous when no interceptor set one (the server runs open). */
  public static Principal current() {
    Principal p = PRINCIPAL.get();
    return p == null ? Principal.ANONYMOUS : p;
  }
}

package io.overseer.server.auth;

import com.google.rpc.Code;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.overseer.server.api.CallerIdentity;
import io.overseer.server.api.ErrorMapper;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.Principal.Role;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Authenticates every call but health and reflection, and puts the principal in the gRPC
 * Context ({@link CallerIdentity}). A bearer token decides when present; else, under mutual TLS,
 * the client certificate's subject CN names the principal (with the configured roles). Open mode
 * (no tokens file, no client CA): everyone is {@link Principal#ANONYMOUS}.
 *
 * <p>JobService needs {@code caller} or {@code admin}; WorkerService needs {@code worker} or
 * {@code admin}.
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> PUBLIC_SERVICES =
      Set.of("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");
  private static final Map<String, Set<Role>> SERVICE_ROLES =
      Map.of(
          "overseer.v1.JobService", Set.of(Role.CALLER, Role.ADMIN),
          "overseer.v1.WorkerService", Set.of(Role.WORKER, Role.ADMIN));

  private final Supplier<TokenFile> tokens; // null supplier result: no tokens file
  private final Set<Role> certificateRoles; // null: certificates do not authenticate

  public AuthInterceptor(Supplier<TokenFile> tokens, Set<Role> certificateRoles) {
    this.tokens = tokens;
    this.certificateRoles = certificateRoles;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (PUBLIC_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    Principal principal;
    try {
      principal = authenticate(call, headers);
      Set<Role> allowed = SERVICE_ROLES.getOrDefault(service, Set.of(Role.ADMIN));
      if (principal.roles().stream().noneMatch(allowed::contains)) {
        throw ErrorMapper.status(
            Code.PERMISSION_DENIED,
            principal.name() + " may not call " + service + ": it needs the role " + allowed.stream().map(r -> r.name().toLowerCase()).sorted().collect(java.util.stream.Collectors.joining(" or ")),
            "ROLE_REQUIRED",
            Map.of("principal", principal.name(), "service", service),
            "use a token with one of those roles (add the role to the principal's line in the tokens file)");
      }
    } catch (StatusRuntimeException e) {
      call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(CallerIdentity.PRINCIPAL, principal);
    return Contexts.interceptCall(context, call, headers, next);
  }

  private Principal authenticate(ServerCall<?, ?> call, Metadata headers) {
    TokenFile file = tokens.get();
    String header = headers.get(AUTHORIZATION);
    if (header != null && file != null) {
      if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw unauthenticated("the authorization header must be 'Bearer <token>'", "TOKEN_MALFORMED");
      }
      return file.principalOf(header.substring(7).strip())
          .orElseThrow(() -> unauthenticated("the token is not valid (unknown or revoked)", "TOKEN_INVALID"));
    }
    Optional<String> subject = certificateRoles == null ? Optional.empty() : certificateSubject(call);
    if (subject.isPresent()) {
      return new Principal(subject.get(), certificateRoles);
    }
    if (file == null && certificateRoles == null) {
      return Principal.ANONYMOUS;
    }
    throw unauthenticated("this server needs a bearer token in the authorization header", "TOKEN_MISSING");
  }

  private static StatusRuntimeException unauthenticated(String message, String reason) {
    return ErrorMapper.status(
        Code.UNAUTHENTICATED, message, reason, Map.of(), "send 'authorization: Bearer <token>' with a token from the server's tokens file");
  }

  /** The CN (or the whole subject) of a verified client certificate. */
  private static Optional<String> certificateSubject(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
        return Optional.empty();
      }
      String dn = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
      for (String part : dn.split(",")) {
        if (part.startsWith("CN=")) {
          return Optional.of(part.substring(3));
        }
      }
      return Optional.of(dn);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}

package io.overseer.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Resolves a fixed list of {@code host:port} targets (several Overseer nodes sharing one
 * database) into one address group each. Paired with the {@code round_robin} policy, calls
 * spread over the nodes that are up, and a node going down only fails over to the others.
 *
 * <p>Host names are looked up again on every {@link #refresh()}, which the channel calls when
 * connections fail, so a node that comes back at a new address is found.
 */
final class StaticAddressResolver extends NameResolver {
  static final String SCHEME = "overseer-static";

  private final List<HostPort> targets;
  private Listener2 listener;

  StaticAddressResolver(List<HostPort> targets) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no targets");
    }
    this.targets = List.copyOf(targets);
  }

  @Override
  public String getServiceAuthority() {
    return targets.get(0).authority();
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    resolve();
  }

  @Override
  public void refresh() {
    if (listener != null) {
      resolve();
    }
  }

  @Override
  public void shutdown() {}

  private void resolve() {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    List<String> unresolved = new ArrayList<>();
    for (HostPort target : targets) {
      InetSocketAddress address = new InetSocketAddress(target.host(), target.port());
      if (address.isUnresolved()) {
        unresolved.add(target.authority());
      } else {
        groups.add(new EquivalentAddressGroup(address));
      }
    }
    if (groups.isEmpty()) {
      listener.onError(Status.UNAVAILABLE.withDescription("cannot resolve " + unresolved));
      return;
    }
    listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
  }

  /** Hands out resolvers for one fixed list, whatever the channel's target says. */
  static final class Factory extends NameResolver.Factory {
    private final List<HostPort> targets;

    Factory(List<HostPort> targets) {
      this.targets = List.copyOf(targets);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, Args args) {
      return new StaticAddressResolver(targets);
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    // Not an override in every gRPC version; the channel reads it when present.
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return List.of(InetSocketAddress.class);
    }
  }
}

package io.overseer.server.api;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests whose bytes are not a valid message (truncated, invalid UTF-8 in a string, a wrong wire
 * type, nested too deep) become INVALID_ARGUMENT. grpc-java answers an exception thrown while
 * parsing a request with a bare UNKNOWN before any interceptor runs, so the request marshaller of
 * every method is wrapped: on a parse failure it hands a null message on, with the parser's
 * complaint kept for this thread, and {@link ErrorMappingInterceptor} rejects the call.
 */
final class RequestParsing {
  private static final ThreadLocal<String> FAILURE = new ThreadLocal<>();

  private RequestParsing() {}

  /** The service with every method's request marshaller wrapped; schema (reflection) unchanged. */
  static ServerServiceDefinition rejectingMalformed(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> wrapped = wrap(m);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  /** Why the request just handed on as null on this thread could not be parsed (and forgets it). */
  static String takeFailure() {
    String failure = FAILURE.get();
    FAILURE.remove();
    return failure == null ? "the message could not be parsed" : failure;
  }

  private static <Q, R> ServerMethodDefinition<Q, R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> md = m.getMethodDescriptor();
    MethodDescriptor.Marshaller<Q> requests = md.getRequestMarshaller();
    MethodDescriptor.Marshaller<Q> lenient =
        requests instanceof MethodDescriptor.PrototypeMarshaller<Q> p ? new LenientPrototype<>(p) : new Lenient<>(requests);
    return ServerMethodDefinition.create(md.toBuilder(lenient, md.getResponseMarshaller()).build(), m.getServerCallHandler());
  }

  private static class Lenient<Q> implements MethodDescriptor.Marshaller<Q> {
    final MethodDescriptor.Marshaller<Q> delegate;

    Lenient(MethodDescriptor.Marshaller<Q> delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream stream(Q value) {
      return delegate.stream(value);
    }

    @Override
    public Q parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        FAILURE.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        return null;
      }
    }
  }

  /** Keeps the prototype for what looks at it (e.g. binary logging). */
  private static final class LenientPrototype<Q> extends Lenient<Q> implements MethodDescriptor.PrototypeMarshaller<Q> {
    LenientPrototype(MethodDescriptor.PrototypeMarshaller<Q> delegate) {
      super(delegate);
    }

    @Override
    public Q getMessagePrototype() {
      return ((MethodDescriptor.PrototypeMarshaller<Q>) delegate).getMessagePrototype();
    }

    @Override
    public Class<Q> getMessageClass() {
      return ((MethodDescriptor.PrototypeMarshaller<Q>) delegate).getMessageClass();
    }
  }
}

package io.overseer.chaos.model;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.rpc.ErrorInfo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.InternalMetadata;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** Calls of any RPC with raw bytes as the request, and hostile metadata. */
final class RawCalls {
  /** An RPC of a service: its raw-bytes descriptor and its request type. */
  record Rpc(MethodDescriptor<byte[], byte[]> raw, Descriptors.Descriptor requestType) {
    String name() {
      return raw.getFullMethodName();
    }
  }

  /** How a call ended; {@code stillOpen}: a stream that was still running when the test stopped it. */
  record Outcome(Status status, Metadata trailers, int messages, boolean stillOpen) {
    Status.Code code() {
      return stillOpen ? Status.Code.OK : status.getCode();
    }

    /**
     * Whether this client refused to send the call: headers past the limit the server announced
     * (SETTINGS_MAX_HEADER_LIST_SIZE). The server never saw it; a status from the server has no cause.
     */
    boolean refusedByClient() {
      Throwable cause = status.getCause();
      return cause != null && String.valueOf(cause.getMessage()).startsWith("Header size exceeded max allowed size");
    }

    /** The ErrorInfo of the status, or null. */
    ErrorInfo errorInfo() {
      com.google.rpc.Status rich = StatusProto.fromStatusAndTrailers(status, trailers);
      for (Any any : rich.getDetailsList()) {
        if (any.is(ErrorInfo.class)) {
          try {
            return any.unpack(ErrorInfo.class);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return null;
          }
        }
      }
      return null;
    }
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static final InternalMetadata.TrustedAsciiMarshaller<byte[]> RAW_ASCII =
      new InternalMetadata.TrustedAsciiMarshaller<>() {
        @Override
        public byte[] toAsciiString(byte[] value) {
          return value;
        }

        @Override
        public byte[] parseAsciiString(byte[] serialized) {
          return serialized;
        }
      };

  private RawCalls() {}

  /** Every RPC of the services, found from their descriptors: an RPC added later is covered. */
  static List<Rpc> rpcs(ServiceDescriptor... services) {
    List<Rpc> rpcs = new ArrayList<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        Descriptors.MethodDescriptor proto = ((ProtoMethodDescriptorSupplier) m.getSchemaDescriptor()).getMethodDescriptor();
        MethodDescriptor<byte[], byte[]> raw =
            MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(m.getType())
                .setFullMethodName(m.getFullMethodName())
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
        rpcs.add(new Rpc(raw, proto.getInputType()));
      }
    }
    return rpcs;
  }

  /**
   * Sends {@code request}; waits for the status (a stream still open after {@code streamWindowMs},
   * e.g. a valid watch of a live job, is cancelled by the test and reported as still open).
   */
  static Outcome call(Channel channel, Rpc target, byte[] request, Metadata headers, long streamWindowMs) throws Exception {
    MethodDescriptor<byte[], byte[]> rpc = target.raw();
    // an RPC that long-polls (its request has a "wait") waits at most until the caller's deadline: keep that short
    long deadlineSeconds = target.requestType().findFieldByName("wait") != null ? 3 : 30;
    ClientCall<byte[], byte[]> call = channel.newCall(rpc, CallOptions.DEFAULT.withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS));
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    AtomicInteger messages = new AtomicInteger();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            messages.incrementAndGet();
            call.request(1);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(new Outcome(status, trailers, messages.get(), false));
          }
        },
        headers);
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    if (rpc.getType() == MethodDescriptor.MethodType.UNARY) {
      return done.get(40, TimeUnit.SECONDS);
    }
    try {
      return done.get(streamWindowMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException stillOpen) {
      call.cancel("the test has seen enough", null);
      Outcome cancelled = done.get(10, TimeUnit.SECONDS);
      return new Outcome(cancelled.status(), cancelled.trailers(), cancelled.messages(), true);
    }
  }

  /**
   * Headers a client may send: junk authorization, binary headers of random bytes, long values,
   * many headers. Raw non-ASCII bytes in text headers are tried too, but grpc-java's client drops
   * such a header before sending (TransportFrameUtil logs it): only binary headers bring arbitrary
   * bytes to the server. Headers past the server's announced size limit are refused by the client.
   */
  static Metadata hostileHeaders(Random r, HostileValues v) {
    Metadata h = new Metadata();
    int kinds = 1 + r.nextInt(3);
    for (int i = 0; i < kinds; i++) {
      switch (r.nextInt(6)) {
        case 0:
          h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), r.nextBoolean() ? "Bearer " : "Basic ???");
          break;
        case 1:
          h.put(InternalMetadata.keyOf("authorization", RAW_ASCII), v.invalidUtf8());
          break;
        case 2:
          h.put(InternalMetadata.keyOf("x-hostile-raw", RAW_ASCII), v.invalidUtf8());
          break;
        case 3:
          byte[] random = new byte[r.nextInt(2048)];
          r.nextBytes(random);
          h.put(Metadata.Key.of("x-hostile-bin", Metadata.BINARY_BYTE_MARSHALLER), random);
          break;
        case 4:
          h.put(Metadata.Key.of("x-hostile-long", Metadata.ASCII_STRING_MARSHALLER), "v".repeat(r.nextBoolean() ? 8000 : 20_000));
          break;
        default:
          for (int k = 0; k < 50 + r.nextInt(300); k++) {
            h.put(Metadata.Key.of("x-many-" + k, Metadata.ASCII_STRING_MARSHALLER), "value-" + k);
          }
      }
    }
    return h;
  }

  static String hex(byte[] b, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, max); i++) {
      s.append(String.format("%02x", b[i]));
    }
    return s + (b.length > max ? "… (" + b.length + " bytes)" : "");
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}

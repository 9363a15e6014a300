package io.overseer.server.api;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.LocalizedMessage;
import com.google.rpc.RetryInfo;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.server.domain.ConflictException;
import io.overseer.server.domain.IdempotencyConflictException;
import io.overseer.server.domain.InvalidArgumentException;
import io.overseer.server.domain.InvalidTransitionException;
import io.overseer.server.domain.JobNotFoundException;
import io.overseer.server.domain.LeaseLostException;
import io.overseer.server.domain.OutOfRangeException;
import io.overseer.server.domain.OverseerException;
import io.overseer.server.domain.ResourceExhaustedException;
import io.overseer.server.store.StoreException;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become gRPC statuses: a code, an ErrorInfo (domain
 * {@code overseer}, a stable reason, ids and states), BadRequest violations, RetryInfo when a retry
 * may succeed, and a hint as a LocalizedMessage. Unexpected failures are logged with an id and
 * reach the client as INTERNAL with that id, never as a stack trace.
 */
public final class ErrorMapper {
  static final String DOMAIN = "overseer";
  private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof StatusException s) {
      return s.getStatus().asRuntimeException(s.getTrailers());
    }
    if (t instanceof OverseerException e) {
      return fromDomain(e);
    }
    if (t instanceof StoreException e && e.isConflict()) {
      return build(
          Code.ABORTED,
          "the request lost a race with a concurrent one and was rolled back",
          "CONCURRENT_UPDATE",
          Map.of(),
          "retry the call",
          50);
    }
    if (t instanceof StoreException e && e.isUnavailable()) {
      log.warn("database unavailable: {}", e.getMessage());
      return build(
          Code.UNAVAILABLE,
          "the database is unavailable: " + e.getMessage(),
          "DATABASE_UNAVAILABLE",
          Map.of(),
          "retry with backoff; the server reconnects by itself",
          1000);
    }
    if (t instanceof InterruptedException) {
      return build(Code.UNAVAILABLE, "the server is shutting down", "SHUTTING_DOWN", Map.of(), "retry on another node", 100);
    }
    String errorId = UUID.randomUUID().toString();
    log.error("internal error {}", errorId, t);
    return build(
        Code.INTERNAL,
        "internal error " + errorId + " (the server log has the details)",
        "INTERNAL",
        Map.of("error_id", errorId),
        "report this error id to the operators",
        -1);
  }

  private static StatusRuntimeException fromDomain(OverseerException e) {
    Code code;
    long retryMs = -1;
    if (e instanceof InvalidArgumentException) {
      code = Code.INVALID_ARGUMENT;
    } else if (e instanceof JobNotFoundException) {
      code = Code.NOT_FOUND;
    } else if (e instanceof LeaseLostException || e instanceof InvalidTransitionException) {
      code = Code.FAILED_PRECONDITION;
    } else if (e instanceof IdempotencyConflictException) {
      code = Code.ALREADY_EXISTS;
    } else if (e instanceof OutOfRangeException) {
      code = Code.OUT_OF_RANGE;
    } else if (e instanceof ResourceExhaustedException) {
      code = Code.RESOURCE_EXHAUSTED;
      retryMs = 1000;
    } else if (e instanceof ConflictException) {
      code = Code.ABORTED;
      retryMs = 50;
    } else {
      code = Code.FAILED_PRECONDITION;
    }
    com.google.rpc.Status.Builder status = details(code, e.getMessage(), e.reason(), e.metadata(), e.hint(), retryMs);
    if (e instanceof InvalidArgumentException invalid) {
      BadRequest.Builder bad = BadRequest.newBuilder();
      invalid.violations().forEach(v -> bad.addFieldViolationsBuilder().setField(v.field()).setDescription(v.description()));
      status.addDetails(Any.pack(bad.build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /** A status with ErrorInfo and hint, for checks outside the services (e.g. authentication). */
  public static StatusRuntimeException status(
      Code code, String message, String reason, Map<String, String> metadata, String hint) {
    return build(code, message, reason, metadata, hint, -1);
  }

  static StatusRuntimeException build(
      Code code, String message, String reason, Map<String, String> metadata, String hint, long retryMs) {
    return StatusProto.toStatusRuntimeException(details(code, message, reason, metadata, hint, retryMs).build());
  }

  private static com.google.rpc.Status.Builder details(
      Code code, String message, String reason, Map<String, String> metadata, String hint, long retryMs) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message)
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).putAllMetadata(metadata).build()));
    if (retryMs >= 0) {
      status.addDetails(
          Any.pack(
              RetryInfo.newBuilder()
                  .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(retryMs / 1000).setNanos((int) (retryMs % 1000) * 1_000_000))
                  .build()));
    }
    if (hint != null && !hint.isEmpty()) {
      status.addDetails(Any.pack(LocalizedMessage.newBuilder().setLocale("en-US").setMessage(hint).build()));
    }
    return status;
  }

  /** The error as a {@code google.rpc.Status} with its details, for a result inside a response. */
  public static com.google.rpc.Status details(Throwable t) {
    StatusRuntimeException e = toStatus(t);
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    return s != null
        ? s
        : com.google.rpc.Status.newBuilder()
            .setCode(e.getStatus().getCode().value())
            .setMessage(e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription())
            .build();
  }
}

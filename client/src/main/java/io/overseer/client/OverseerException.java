package io.overseer.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.LocalizedMessage;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A failed Overseer call: the gRPC status code and description plus the rich error details the
 * server attaches to every error ({@code google.rpc.ErrorInfo}, {@code BadRequest}, {@code
 * RetryInfo}, {@code Help}/{@code LocalizedMessage}).
 *
 * <p>Every {@link OverseerClient} method throws this instead of {@link StatusRuntimeException};
 * the original exception is the {@linkplain #getCause() cause}.
 */
public class OverseerException extends RuntimeException {
  /** ErrorInfo reason of a worker call whose lease is no longer the job's live lease. */
  public static final String LEASE_LOST = "LEASE_LOST";

  private static final Set<Status.Code> TRANSIENT =
      EnumSet.of(
          Status.Code.UNAVAILABLE,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.ABORTED);

  /** One invalid request field, e.g. {@code requests[3].type}. */
  public record FieldViolation(String field, String description) {}

  private final Status.Code code;
  private final String description;
  private final String reason;
  private final String domain;
  private final Map<String, String> metadata;
  private final List<FieldViolation> fieldViolations;
  private final String hint;
  private final Duration retryDelay;

  private OverseerException(
      Status.Code code,
      String description,
      ErrorInfo errorInfo,
      List<FieldViolation> fieldViolations,
      String hint,
      Duration retryDelay,
      Throwable cause) {
    super(code + ": " + description, cause);
    this.code = code;
    this.description = description;
    this.reason = errorInfo == null ? "" : errorInfo.getReason();
    this.domain = errorInfo == null ? "" : errorInfo.getDomain();
    this.metadata = errorInfo == null ? Map.of() : Map.copyOf(errorInfo.getMetadataMap());
    this.fieldViolations = List.copyOf(fieldViolations);
    this.hint = hint;
    this.retryDelay = retryDelay;
  }

  /**
   * Converts any throwable from a gRPC call. An {@code OverseerException} is returned as is; a
   * non-gRPC throwable becomes UNKNOWN (or CANCELLED for an interrupt) with its message.
   */
  public static OverseerException from(Throwable t) {
    if (t instanceof OverseerException oe) {
      return oe;
    }
    Status status = Status.fromThrowable(t);
    com.google.rpc.Status rich = StatusProto.fromThrowable(t);
    ErrorInfo errorInfo = null;
    List<FieldViolation> violations = new ArrayList<>();
    String localized = null;
    String help = null;
    Duration retryDelay = null;
    if (rich != null) {
      for (Any detail : rich.getDetailsList()) {
        try {
          if (detail.is(ErrorInfo.class)) {
            errorInfo = detail.unpack(ErrorInfo.class);
          } else if (detail.is(BadRequest.class)) {
            detail.unpack(BadRequest.class).getFieldViolationsList().forEach(
                v -> violations.add(new FieldViolation(v.getField(), v.getDescription())));
          } else if (detail.is(LocalizedMessage.class)) {
            localized = detail.unpack(LocalizedMessage.class).getMessage();
          } else if (detail.is(Help.class)) {
            help = helpText(detail.unpack(Help.class));
          } else if (detail.is(RetryInfo.class)) {
            com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
            retryDelay = Duration.ofSeconds(d.getSeconds(), d.getNanos());
          }
        } catch (InvalidProtocolBufferException ignored) {
          // a malformed detail is not worth hiding the error itself
        }
      }
    }
    String hint = localized != null && !localized.isBlank() ? localized : help;
    return new OverseerException(
        status.getCode(), describe(status, t), errorInfo, violations, hint, retryDelay, t);
  }

  private static String describe(Status status, Throwable t) {
    String description = status.getDescription();
    Throwable cause = status.getCause();
    if (!(t instanceof StatusRuntimeException || t instanceof StatusException)) {
      cause = t; // not a gRPC error: its own message is the description
    }
    boolean generic = description == null || description.isBlank()
        || description.equals("io exception");
    if (generic && cause != null && cause.getMessage() != null) {
      // netty's native transport says "finishConnect(..) failed with error(-111): Connection
      // refused: host/addr:port"; the part after the syscall is what a person needs
      return cause.getMessage().replaceFirst("^\\w+\\(\\.\\.\\) failed[^:]*: ", "");
    }
    if (description == null || description.isBlank()) {
      return status.getCode().name().toLowerCase().replace('_', ' ');
    }
    return description;
  }

  private static String helpText(Help help) {
    if (help.getLinksCount() == 0) {
      return null;
    }
    Help.Link link = help.getLinks(0);
    if (link.getUrl().isBlank()) {
      return link.getDescription();
    }
    return link.getDescription().isBlank()
        ? link.getUrl()
        : link.getDescription() + " (" + link.getUrl() + ")";
  }

  /** The gRPC status code. */
  public Status.Code code() {
    return code;
  }

  /** The status description: what went wrong and what to do. */
  public String description() {
    return description;
  }

  /** ErrorInfo reason, a stable UPPER_SNAKE code such as {@code JOB_NOT_FOUND}; "" if none. */
  public String reason() {
    return reason;
  }

  /** ErrorInfo domain ({@code overseer} for server errors); "" if none. */
  public String domain() {
    return domain;
  }

  /** ErrorInfo metadata: the ids and states involved, e.g. {@code job_id}, {@code state}. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** BadRequest field violations, empty unless the request was invalid. */
  public List<FieldViolation> fieldViolations() {
    return fieldViolations;
  }

  /** The human hint (LocalizedMessage, else the first Help link), if the server sent one. */
  public Optional<String> hint() {
    return Optional.ofNullable(hint).filter(h -> !h.isBlank());
  }

  /** RetryInfo delay, if the server says the call may be retried after it. */
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }

  /** True for FAILED_PRECONDITION with reason LEASE_LOST: the worker no longer owns the job. */
  public boolean isLeaseLost() {
    return code == Status.Code.FAILED_PRECONDITION && LEASE_LOST.equals(reason);
  }

  /**
   * True for UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED: the same call may
   * succeed later. INTERNAL is not transient.
   */
  public boolean isTransient() {
    return TRANSIENT.contains(code);
  }

  /** True if the exception is a transient gRPC failure (see {@link #isTransient()}). */
  public static boolean isTransient(Throwable t) {
    return from(t).isTransient();
  }
}

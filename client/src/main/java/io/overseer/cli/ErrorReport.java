package io.overseer.cli;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.overseer.client.OverseerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns any failure into the lines the CLI prints: {@code error: <status code>: <message>}, then
 * {@code reason:}, {@code field:} and {@code hint:} lines when the server sent them. Never a
 * stack trace.
 */
final class ErrorReport {
  private ErrorReport() {}

  /**
   * @param target the server the command talked to, to say which one could not be reached; may
   *     be null
   */
  static List<String> lines(Throwable failure, String target) {
    Throwable t = unwrap(failure);
    if (t instanceof UsageException || t instanceof IllegalArgumentException) {
      return List.of("error: INVALID_ARGUMENT: " + t.getMessage());
    }
    if (t instanceof IOException || t instanceof UncheckedIOException) {
      return List.of("error: INVALID_ARGUMENT: " + t.getMessage());
    }
    if (!(t instanceof OverseerException
        || t instanceof StatusRuntimeException
        || t instanceof StatusException)) {
      return List.of("error: INTERNAL: " + t);
    }
    OverseerException e = OverseerException.from(t);
    List<String> lines = new ArrayList<>();
    String message = e.description();
    if (e.code() == Status.Code.UNAVAILABLE && e.reason().isEmpty() && target != null) {
      message = "cannot reach " + target + " (" + message + ")";
    }
    lines.add("error: " + e.code() + ": " + oneLine(message));
    if (!e.reason().isEmpty()) {
      lines.add("reason: " + e.reason());
    }
    for (OverseerException.FieldViolation v : e.fieldViolations()) {
      lines.add("field: " + v.field() + ": " + oneLine(v.description()));
    }
    e.hint().ifPresent(hint -> lines.add("hint: " + oneLine(hint)));
    return lines;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof picocli.CommandLine.ExecutionException
            || current instanceof java.util.concurrent.ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}

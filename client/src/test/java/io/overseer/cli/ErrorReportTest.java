package io.overseer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.overseer.client.testing.Errors;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorReportTest {
  @Test
  void serverErrorsShowCodeReasonAndHint() {
    assertEquals(List.of(
            "error: NOT_FOUND: job 42 not found",
            "reason: JOB_NOT_FOUND",
            "hint: check the id with 'overseer ls'"),
        ErrorReport.lines(Errors.notFound("42"), "localhost:50051"));
  }

  @Test
  void fieldViolationsAndHelpLinks() {
    assertEquals(List.of(
            "error: INVALID_ARGUMENT: invalid params",
            "reason: INVALID_ARGUMENT",
            "field: params: larger than 1 MiB",
            "hint: see the API limits (https://example.invalid/limits)"),
        ErrorReport.lines(Errors.badRequest("params", "larger than 1 MiB"), null));
  }

  @Test
  void multiLineMessagesBecomeOneLine() {
    assertEquals(List.of("error: FAILED_PRECONDITION: job is completed; nothing to cancel",
            "reason: INVALID_TRANSITION"),
        ErrorReport.lines(Errors.rich(Status.Code.FAILED_PRECONDITION,
            "job is completed;\n nothing to cancel", "INVALID_TRANSITION",
            Map.of("state", "JOB_STATE_COMPLETED"), null), null));
  }

  @Test
  void unreachableServerNamesTheTarget() {
    assertEquals(List.of(
            "error: UNAVAILABLE: cannot reach localhost:1 (Connection refused: localhost/127.0.0.1:1)"),
        ErrorReport.lines(Status.UNAVAILABLE.withDescription("io exception")
            .withCause(new java.net.ConnectException("Connection refused: localhost/127.0.0.1:1"))
            .asRuntimeException(), "localhost:1"));
  }

  @Test
  void localErrors() {
    assertEquals(List.of("error: INVALID_ARGUMENT: --params: no such file: x.json"),
        ErrorReport.lines(new UsageException("--params: no such file: x.json"), null));
    assertEquals(List.of("error: INVALID_ARGUMENT: cannot read TLS files: ca.pem"),
        ErrorReport.lines(new UncheckedIOException("cannot read TLS files: ca.pem",
            new java.io.IOException("ca.pem")), null));
    assertEquals(List.of("error: INTERNAL: java.lang.IllegalStateException: bug"),
        ErrorReport.lines(new IllegalStateException("bug"), null));
  }
}

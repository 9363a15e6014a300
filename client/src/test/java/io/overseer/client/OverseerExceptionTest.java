package io.overseer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.overseer.client.testing.Errors;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverseerExceptionTest {
  @Test
  void readsErrorInfoAndHint() {
    OverseerException e = OverseerException.from(Errors.notFound("42"));
    assertEquals(Status.Code.NOT_FOUND, e.code());
    assertEquals("job 42 not found", e.description());
    assertEquals("JOB_NOT_FOUND", e.reason());
    assertEquals("overseer", e.domain());
    assertEquals("42", e.metadata().get("job_id"));
    assertEquals("check the id with 'overseer ls'", e.hint().orElseThrow());
    assertEquals("NOT_FOUND: job 42 not found", e.getMessage());
    assertFalse(e.isTransient());
  }

  @Test
  void readsFieldViolationsAndHelpLink() {
    OverseerException e = OverseerException.from(Errors.badRequest("requests[3].type", "empty"));
    assertEquals(List.of(new OverseerException.FieldViolation("requests[3].type", "empty")),
        e.fieldViolations());
    assertEquals("see the API limits (https://example.invalid/limits)", e.hint().orElseThrow());
  }

  @Test
  void recognisesLeaseLostAndTransientCodes() {
    assertTrue(OverseerException.from(Errors.leaseLost("j")).isLeaseLost());
    assertTrue(OverseerException.isTransient(Status.UNAVAILABLE.asRuntimeException()));
    assertTrue(OverseerException.isTransient(Status.DEADLINE_EXCEEDED.asRuntimeException()));
    assertTrue(OverseerException.isTransient(Status.RESOURCE_EXHAUSTED.asRuntimeException()));
    assertTrue(OverseerException.isTransient(Status.ABORTED.asRuntimeException()));
    assertFalse(OverseerException.isTransient(Status.INTERNAL.asRuntimeException()));
    assertFalse(OverseerException.from(Status.FAILED_PRECONDITION.asRuntimeException())
        .isLeaseLost());
  }

  @Test
  void readsRetryInfo() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage("queue full")
        .addDetails(Any.pack(RetryInfo.newBuilder()
            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(2)).build()))
        .build();
    OverseerException e = OverseerException.from(StatusProto.toStatusRuntimeException(status));
    assertEquals(Duration.ofSeconds(2), e.retryDelay().orElseThrow());
    assertEquals("", e.reason());
  }

  @Test
  void plainStatusAndNonGrpcErrors() {
    OverseerException bare = OverseerException.from(Status.UNAVAILABLE
        .withDescription("io exception")
        .withCause(new java.net.ConnectException(
            "finishConnect(..) failed with error(-111): Connection refused: localhost/127.0.0.1:1"))
        .asRuntimeException());
    assertEquals("Connection refused: localhost/127.0.0.1:1", bare.description());
    assertTrue(bare.hint().isEmpty());

    OverseerException other = OverseerException.from(new IllegalStateException("boom"));
    assertEquals(Status.Code.UNKNOWN, other.code());
    assertEquals("boom", other.description());
  }
}

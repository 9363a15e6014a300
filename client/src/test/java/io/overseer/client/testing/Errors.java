package io.overseer.client.testing;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.LocalizedMessage;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

/** Builds the rich errors the Overseer server sends, for tests. */
public final class Errors {
  private Errors() {}

  public static StatusRuntimeException rich(
      Status.Code code, String message, String reason, Map<String, String> metadata,
      String hint) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message);
    if (reason != null) {
      status.addDetails(Any.pack(ErrorInfo.newBuilder()
          .setReason(reason).setDomain("overseer").putAllMetadata(metadata).build()));
    }
    if (hint != null) {
      status.addDetails(Any.pack(LocalizedMessage.newBuilder()
          .setLocale("en-US").setMessage(hint).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  public static StatusRuntimeException leaseLost(String jobId) {
    return rich(Status.Code.FAILED_PRECONDITION, "lease of job " + jobId + " is no longer valid",
        "LEASE_LOST", Map.of("job_id", jobId, "state", "JOB_STATE_QUEUED"),
        "the job was re-queued or claimed by another worker");
  }

  public static StatusRuntimeException invalidTransition(
      String jobId, io.overseer.v1.JobState from, io.overseer.v1.JobState to) {
    String state = from.name().substring("JOB_STATE_".length());
    String requested = to.name().substring("JOB_STATE_".length());
    return rich(Status.Code.FAILED_PRECONDITION,
        "job " + jobId + " cannot go from " + state + " to " + requested, "INVALID_TRANSITION",
        Map.of("job_id", jobId, "state", state, "requested_state", requested),
        "the job is " + state + ", a terminal state: it cannot change any more");
  }

  public static StatusRuntimeException notFound(String jobId) {
    return rich(Status.Code.NOT_FOUND, "job " + jobId + " not found", "JOB_NOT_FOUND",
        Map.of("job_id", jobId), "check the id with 'overseer ls'");
  }

  public static StatusRuntimeException badRequest(String field, String description) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT_VALUE)
        .setMessage("invalid " + field)
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setReason("INVALID_ARGUMENT").setDomain("overseer").build()))
        .addDetails(Any.pack(BadRequest.newBuilder()
            .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                .setField(field).setDescription(description))
            .build()))
        .addDetails(Any.pack(Help.newBuilder()
            .addLinks(Help.Link.newBuilder().setDescription("see the API limits")
                .setUrl("https://example.invalid/limits"))
            .build()))
        .build());
  }
}

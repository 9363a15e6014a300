package io.overseer.client.worker;

import com.google.protobuf.Struct;
import io.overseer.client.Structs;
import java.util.Map;
import java.util.Objects;

/** What a {@link JobHandler} returns: a JSON result, complete or partial. Immutable. */
public final class JobResult {
  private static final JobResult EMPTY = new JobResult(Struct.getDefaultInstance(), false, "");

  private final Struct result;
  private final boolean partial;
  private final String errorMessage;

  private JobResult(Struct result, boolean partial, String errorMessage) {
    this.result = result == null ? Struct.getDefaultInstance() : result;
    this.partial = partial;
    this.errorMessage = errorMessage == null ? "" : errorMessage;
  }

  /** Completes the job with an empty result. */
  public static JobResult empty() {
    return EMPTY;
  }

  /** Completes the job with this result (see {@link Structs} for the accepted values). */
  public static JobResult of(Map<String, ?> result) {
    return new JobResult(Structs.toStruct(result), false, "");
  }

  public static JobResult of(Struct result) {
    return new JobResult(result, false, "");
  }

  /** Ends the job PARTIAL: some output in {@code result}, and what is missing. */
  public static JobResult partial(Map<String, ?> result, String errorMessage) {
    return partial(Structs.toStruct(result), errorMessage);
  }

  public static JobResult partial(Struct result, String errorMessage) {
    return new JobResult(result, true, Objects.requireNonNull(errorMessage, "errorMessage"));
  }

  public Struct result() {
    return result;
  }

  public boolean isPartial() {
    return partial;
  }

  /** What is missing, for a partial result; "" otherwise. */
  public String errorMessage() {
    return errorMessage;
  }

  @Override
  public String toString() {
    return (partial ? "JobResult.partial(" : "JobResult.of(")
        + Structs.toJson(result)
        + (partial ? ", \"" + errorMessage + "\")" : ")");
  }
}

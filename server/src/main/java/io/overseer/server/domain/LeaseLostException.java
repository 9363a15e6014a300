package io.overseer.server.domain;

import java.util.Map;

/**
 * The lease token is not the job's live lease: another attempt's, expired, revoked, or the job
 * is terminal. The worker no longer owns the job and must drop it.
 */
public final class LeaseLostException extends OverseerException {
  public LeaseLostException(String jobId, State state) {
    super(
        "LEASE_LOST",
        "the lease on job " + jobId + " is no longer held by this worker (job is " + state + ")",
        Map.of("job_id", jobId, "state", state.name()),
        "stop working on this job: it was re-queued, cancelled, finished or claimed by another"
            + " worker; claim new work instead");
  }

  /**
   * The lease that finished the job repeated its finishing call with a different {@code what}: the
   * job keeps the first call's outcome, and the repeat is refused rather than answered as if it
   * held.
   */
  public static LeaseLostException finishedDifferently(String jobId, State state, String what) {
    return new LeaseLostException(
        "job " + jobId + " was already finished by this lease (" + state + ") with a different " + what
            + "; the first call's outcome stands",
        Map.of("job_id", jobId, "state", state.name()),
        "only the same CompleteJob or FailJob may be repeated; read the job (GetJob) for its stored outcome");
  }

  private LeaseLostException(String message, Map<String, String> metadata, String hint) {
    super("LEASE_LOST", message, metadata, hint);
  }
}

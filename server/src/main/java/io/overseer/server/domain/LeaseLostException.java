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
}

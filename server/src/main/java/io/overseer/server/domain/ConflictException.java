package io.overseer.server.domain;

import java.util.Map;

/** The job kept changing under a read-decide-write loop; retrying the call is safe. */
public final class ConflictException extends OverseerException {
  public ConflictException(String jobId) {
    super(
        "CONCURRENT_UPDATE",
        "job " + jobId + " changed concurrently too many times",
        Map.of("job_id", jobId),
        "retry the call");
  }
}

package io.overseer.server.domain;

import java.util.Map;

/** No job with that id is visible to the caller (another owner's job looks the same). */
public final class JobNotFoundException extends OverseerException {
  public JobNotFoundException(String jobId) {
    super(
        "JOB_NOT_FOUND",
        "job " + jobId + " not found",
        Map.of("job_id", jobId),
        "check the id; jobs are visible only to their owner, and finished jobs are deleted after"
            + " the retention period");
  }
}

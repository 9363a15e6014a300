package io.overseer.client.worker;

/** How a job attempt ended, as far as this worker knows. */
public enum JobOutcome {
  /** CompleteJob accepted: COMPLETED. */
  COMPLETED,
  /** CompleteJob with a partial result accepted: PARTIAL. */
  PARTIAL,
  /** FailJob accepted and the job is FAILED (non-retryable, or attempts spent). */
  FAILED,
  /** FailJob accepted and the job went back to QUEUED for another attempt. */
  RETRYING,
  /** The cancellation was acknowledged: CANCELLED. */
  CANCELLED,
  /** The server refused the lease (LEASE_LOST): the job was abandoned and never reported. */
  LEASE_LOST,
  /** The result could not be delivered (server unreachable); the lease will expire. */
  UNREPORTED
}

-- Service jobs: the states SERVING and STOPPING (and WAITING, reserved for dependencies), where a
-- serving job is reached, and the stop request.

ALTER TABLE jobs DROP CONSTRAINT jobs_state_valid;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_valid
    CHECK (state IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'PARTIAL', 'CANCELLED', 'SERVING', 'STOPPING', 'WAITING'));
ALTER TABLE jobs DROP CONSTRAINT jobs_terminal_has_finish;
ALTER TABLE jobs ADD CONSTRAINT jobs_terminal_has_finish
    CHECK ((state IN ('QUEUED', 'RUNNING', 'SERVING', 'STOPPING', 'WAITING')) = (finish_time IS NULL));
-- the leased states (State.LEASED)
ALTER TABLE jobs DROP CONSTRAINT jobs_running_has_lease;
ALTER TABLE jobs ADD CONSTRAINT jobs_running_has_lease
    CHECK (state NOT IN ('RUNNING', 'SERVING', 'STOPPING') OR (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL));

-- As V6's, over every leased state: maintenance scans (expired leases, timeouts, grace periods)
-- and per-queue counts of the jobs that hold a slot.
CREATE INDEX jobs_leased ON jobs (queue, lease_expires_at) WHERE state IN ('RUNNING', 'SERVING', 'STOPPING') AND lease_ms > 0;
DROP INDEX jobs_running;
ALTER INDEX jobs_leased RENAME TO jobs_running;

-- [{"name": …, "uri": …}] as the worker reported them (ReportServing); kept once the job ends
ALTER TABLE jobs ADD COLUMN endpoints jsonb NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN stop_requested boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN stop_requested_at timestamptz;
-- the retryable flag of the FailJob that ended the job, so that only the same call repeated gets
-- the finished job back
ALTER TABLE jobs ADD COLUMN failed_retryable boolean;

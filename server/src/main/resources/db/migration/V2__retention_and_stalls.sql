-- Progress compaction of finished jobs, and the stall watchdog.

ALTER TABLE jobs ADD COLUMN progress_compacted boolean NOT NULL DEFAULT false;
-- set when a running job is reported stalled; a newer update_time re-arms the watchdog
ALTER TABLE jobs ADD COLUMN stalled_at timestamptz;

CREATE INDEX jobs_uncompacted ON jobs (finish_time) WHERE finish_time IS NOT NULL AND NOT progress_compacted;

ALTER TABLE job_events DROP CONSTRAINT job_events_kind_valid;
ALTER TABLE job_events ADD CONSTRAINT job_events_kind_valid
    CHECK (kind IN ('STATE_CHANGED', 'PROGRESS', 'ASSET_ADDED', 'CANCEL_REQUESTED', 'STALLED'));

-- Overseer schema v1: jobs, their gapless event log, and their assets.

CREATE TABLE jobs (
    id                  uuid        PRIMARY KEY,
    -- insertion order: FIFO tie-break within a priority and run_at
    seq                 bigint      GENERATED ALWAYS AS IDENTITY,
    type                text        NOT NULL,
    queue               text        NOT NULL,
    state               text        NOT NULL,
    progress            integer     NOT NULL DEFAULT 0,
    stage               text        NOT NULL DEFAULT '',
    message             text        NOT NULL DEFAULT '',
    params              jsonb       NOT NULL DEFAULT '{}',
    result              jsonb,
    error_message       text        NOT NULL DEFAULT '',
    priority            integer     NOT NULL DEFAULT 0,
    attempt             integer     NOT NULL DEFAULT 0,
    max_attempts        integer     NOT NULL,
    timeout_ms          bigint,
    run_at              timestamptz NOT NULL,
    owner               text        NOT NULL,
    labels              jsonb       NOT NULL DEFAULT '{}',
    idempotency_key     text,
    cancel_requested    boolean     NOT NULL DEFAULT false,
    cancel_requested_at timestamptz,
    worker_id           text        NOT NULL DEFAULT '',
    -- the lease of the current attempt (kept after a worker finishes the job, so the same
    -- completion can be repeated safely; cleared when the server revokes an attempt)
    lease_token         text,
    lease_expires_at    timestamptz,
    lease_ms            bigint,
    attempt_started_at  timestamptz,
    -- sequence of the newest event; the next event gets last_sequence + 1
    last_sequence       integer     NOT NULL DEFAULT 1,
    create_time         timestamptz NOT NULL DEFAULT now(),
    update_time         timestamptz NOT NULL DEFAULT now(),
    start_time          timestamptz,
    finish_time         timestamptz,
    CONSTRAINT jobs_state_valid CHECK (state IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'PARTIAL', 'CANCELLED')),
    CONSTRAINT jobs_progress_range CHECK (progress BETWEEN 0 AND 100),
    CONSTRAINT jobs_priority_range CHECK (priority BETWEEN -1000 AND 1000),
    CONSTRAINT jobs_attempts_range CHECK (max_attempts BETWEEN 1 AND 100 AND attempt >= 0),
    CONSTRAINT jobs_timeout_positive CHECK (timeout_ms IS NULL OR timeout_ms > 0),
    CONSTRAINT jobs_running_has_lease CHECK (state <> 'RUNNING' OR (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT jobs_terminal_has_finish CHECK ((state IN ('QUEUED', 'RUNNING')) = (finish_time IS NULL))
) WITH (fillfactor = 80);

-- idempotency keys are per owner
CREATE UNIQUE INDEX jobs_owner_idempotency_key ON jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- the claim path: only queued rows, in claim order
CREATE INDEX jobs_claimable ON jobs (priority DESC, run_at, seq) WHERE state = 'QUEUED';
CREATE INDEX jobs_claimable_by_queue ON jobs (queue, priority DESC, run_at, seq) WHERE state = 'QUEUED';
-- maintenance (expired leases, timeouts) and per-queue running counts
CREATE INDEX jobs_running ON jobs (queue, lease_expires_at) WHERE state = 'RUNNING';
-- ListJobs, newest first, per owner and for admins
CREATE INDEX jobs_owner_created ON jobs (owner, create_time DESC, id DESC);
CREATE INDEX jobs_created ON jobs (create_time DESC, id DESC);
-- retention
CREATE INDEX jobs_finished ON jobs (finish_time) WHERE finish_time IS NOT NULL;

CREATE TABLE job_events (
    job_id         uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sequence       integer     NOT NULL,
    kind           text        NOT NULL,
    state          text        NOT NULL,
    previous_state text,
    progress       integer     NOT NULL,
    stage          text        NOT NULL DEFAULT '',
    message        text        NOT NULL DEFAULT '',
    actor          text        NOT NULL,
    worker_id      text        NOT NULL DEFAULT '',
    asset_id       uuid,
    time           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, sequence),
    CONSTRAINT job_events_kind_valid CHECK (kind IN ('STATE_CHANGED', 'PROGRESS', 'ASSET_ADDED', 'CANCEL_REQUESTED')),
    CONSTRAINT job_events_sequence_positive CHECK (sequence >= 1)
);

CREATE TABLE assets (
    id           uuid        PRIMARY KEY,
    job_id       uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    owner        text        NOT NULL,
    asset_type   text        NOT NULL,
    uri          text        NOT NULL,
    storage_path text        NOT NULL DEFAULT '',
    size_bytes   bigint      NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    content_type text        NOT NULL DEFAULT '',
    checksum     text        NOT NULL DEFAULT '',
    create_time  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_job ON assets (job_id, create_time, id);

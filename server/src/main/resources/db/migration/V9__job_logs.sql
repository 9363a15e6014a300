-- Job logs: the output lines workers append (AppendJobLogs), numbered per job without gaps.

-- One row per job that has logs: the per-job counters an append updates, locked (the upsert's row
-- lock) by each append of that job only. They live here and not on the jobs row, so that a
-- worker appending thousands of lines a second never holds or rewrites the row that claims,
-- heartbeats and completions update.
CREATE TABLE job_log_heads (
    job_id        uuid    PRIMARY KEY,
    -- the sequence of the newest line; the next one gets last_sequence + 1
    last_sequence bigint  NOT NULL CHECK (last_sequence >= 1),
    -- the bytes the kept lines count (see job_logs.bytes), at most --max-log-bytes-per-job
    bytes         bigint  NOT NULL CHECK (bytes >= 0),
    -- lines dropped, oldest first, to stay under the cap: the kept ones are dropped + 1 ..
    -- last_sequence
    dropped       bigint  NOT NULL DEFAULT 0 CHECK (dropped >= 0 AND dropped < last_sequence)
) WITH (fillfactor = 50);

-- No foreign key, as job_events (V4): a line is inserted by the statement that found its job
-- leased under the appending lease, and the retention purge deletes a job's lines and head in the
-- statement that deletes the job.
CREATE TABLE job_logs (
    job_id   uuid        NOT NULL,
    sequence bigint      NOT NULL CHECK (sequence >= 1),
    time     timestamptz NOT NULL,
    stream   text        NOT NULL,
    text     text        NOT NULL,
    attempt  integer     NOT NULL,
    -- what the line counts against the per-job cap: the UTF-8 bytes of its text and stream, plus
    -- 16 for the line itself (so that empty lines are not free)
    bytes    integer     NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (job_id, sequence)
);

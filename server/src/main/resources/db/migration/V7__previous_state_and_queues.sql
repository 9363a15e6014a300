-- The state a job was in before its last transition. Every statement that changes a job's state
-- writes it from the row it changes (SET previous_state = state, evaluated on the row version it
-- updates), so the event it appends names the real from-state, and the ending path can check that
-- pair against the transition table before it commits.
ALTER TABLE jobs ADD COLUMN previous_state text;

-- One row per queue that has settings. A claim of a queue with a concurrency limit locks its row
-- (SELECT … FOR UPDATE) for the count and the claim, so claimers of that queue on every node
-- take turns while other queues flow.
CREATE TABLE queues (
    name              text        PRIMARY KEY,
    concurrency_limit integer     NOT NULL DEFAULT 0 CHECK (concurrency_limit >= 0),
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now()
);

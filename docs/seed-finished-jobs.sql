-- Seeds :n finished jobs (COMPLETED, 3 events each, as a claim + completion leaves them) for the
-- "process with 1,000,000 finished jobs in the table" benchmark. Run against the server's
-- database after the server has migrated it:
--   psql "$DATABASE" -v n=1000000 -f docs/seed-finished-jobs.sql
-- Queue 'seeded', finished an hour ago: retention (default 7 days) leaves them in place. Ids are
-- time-ordered (version 7, from each job's create time), as the server makes them.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE seeded ON COMMIT DROP AS
  SELECT encode(set_byte(b, 6, get_byte(b, 6) & 15 | 112), 'hex')::uuid AS id, t -- version 7
  FROM (SELECT now() - interval '1 hour' - g * interval '1 millisecond' AS t
        FROM generate_series(1, :n) g) times,
       LATERAL (SELECT overlay(uuid_send(gen_random_uuid())          -- random, variant 10
                       placing substring(int8send((extract(epoch FROM t) * 1000)::bigint) FROM 3)
                       FROM 1 FOR 6) AS b) bytes;                     -- 48-bit Unix milliseconds
INSERT INTO jobs (id, type, queue, state, progress, params, result, attempt, max_attempts, run_at,
                  owner, worker_id, lease_token, attempt_started_at, last_sequence, create_time,
                  update_time, start_time, finish_time)
  SELECT id, 'noop', 'seeded', 'COMPLETED', 100, '{"n": 1}', '{"ok": true}', 1, 3, t, 'anonymous',
         'seed-worker', '1.seed', t, 3, t, t, t, t
  FROM seeded;
INSERT INTO job_events (job_id, sequence, kind, state, previous_state, progress, actor, worker_id, time)
  SELECT id, s.sequence, 'STATE_CHANGED', s.state, s.previous_state, s.progress, 'anonymous', s.worker_id, t
  FROM seeded,
       (VALUES (1, 'QUEUED', NULL, 0, ''), (2, 'RUNNING', 'QUEUED', 0, 'seed-worker'),
               (3, 'COMPLETED', 'RUNNING', 100, 'seed-worker')) AS s(sequence, state, previous_state, progress, worker_id);
COMMIT;
ANALYZE jobs;
ANALYZE job_events;

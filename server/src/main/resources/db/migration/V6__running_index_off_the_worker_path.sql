-- The running-jobs index serves maintenance (expired leases, timeouts, forced cancels, stalls,
-- queue-limit counts). With the predicate state = 'RUNNING' the planner could also answer a
-- worker's by-id write (heartbeat, fail, asset, cancel request) with it: with statistics taken
-- while nothing ran, each heartbeat then read every running job (10,000 watched jobs: heartbeats
-- took seconds). lease_ms is set on every claim and no worker statement tests it, so this
-- predicate keeps the index to the queries that say lease_ms > 0.
DROP INDEX jobs_running;
CREATE INDEX jobs_running ON jobs (queue, lease_expires_at) WHERE state = 'RUNNING' AND lease_ms > 0;

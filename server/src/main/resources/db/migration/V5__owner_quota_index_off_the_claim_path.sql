-- The quota count's index had the claim indexes' predicate (state = 'QUEUED'), so the planner could
-- answer a claim with it: read every queued row of the index and sort them. With statistics taken
-- while the queue was empty (no autovacuum to refresh them) it did, and each claim read the whole
-- backlog (measured: process throughput fell fourfold). A predicate the claim does not imply keeps
-- it off the claim path. Cancelling a queued job ends it, so queued jobs with a cancel request
-- arise only from a rare race (a cancel requested between a claim and its release), which the
-- soft quota may leave uncounted.
DROP INDEX jobs_owner_queued;
CREATE INDEX jobs_owner_queued ON jobs (owner) WHERE state = 'QUEUED' AND NOT cancel_requested;

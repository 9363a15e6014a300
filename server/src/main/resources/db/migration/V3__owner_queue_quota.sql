-- The per-owner quota of queued jobs counts on this.
CREATE INDEX jobs_owner_queued ON jobs (owner) WHERE state = 'QUEUED';

-- Agents register here and heartbeat; GET /agents lists them and a drain is asked here.
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  version TEXT NOT NULL,
  slots BIGINT NOT NULL,
  running BIGINT NOT NULL,
  resource_classes TEXT NOT NULL, -- comma-separated
  draining SMALLINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL,
  last_heartbeat_at BIGINT NOT NULL
);

-- A periodic duty (the sweeper) that one process at a time performs: whoever holds the
-- unexpired lease of its row acts, the others wait for it to expire.
CREATE TABLE duties (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- An automatic new run after an infrastructure error points to the run it retries.
ALTER TABLE runs ADD COLUMN retry_of BIGINT;

-- The sweeper looks for expired leases; a queued run's position counts its class's queue.
CREATE INDEX runs_by_lease ON runs(status, lease_expires_at);
CREATE INDEX runs_by_class ON runs(status, resource_class, id);

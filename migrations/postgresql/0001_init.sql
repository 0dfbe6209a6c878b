-- Jobs, runs, idempotency keys, secrets and settings. Times are milliseconds since the epoch.
CREATE TABLE jobs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE, -- byte order, as in SQLite, for keyset paging
  definition TEXT NOT NULL,
  etag TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE runs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  commit_sha TEXT,
  branch_name TEXT,
  triggered_by TEXT NOT NULL,
  rerun_of BIGINT,
  parameters TEXT NOT NULL,
  resource_class TEXT NOT NULL,
  queued_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  reason TEXT,
  abort_requested SMALLINT NOT NULL DEFAULT 0,
  agent TEXT
);
-- Keyset pagination of a job's runs, newest first, with and without a status filter.
CREATE INDEX runs_by_job ON runs(job_id, id);
CREATE INDEX runs_by_job_status ON runs(job_id, status, id);
-- Sweepers look for runs by status across jobs.
CREATE INDEX runs_by_status ON runs(status, id);

CREATE TABLE idempotency_keys (
  job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, key)
);

-- Values are sealed (AES-256-GCM) before they reach the store, kept as hex.
CREATE TABLE secrets (
  job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  sealed_value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, name)
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

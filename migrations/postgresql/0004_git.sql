-- Git jobs: the commit a run executes (its branch resolved when it was triggered) and the
-- repository's config file as parsed at that commit (a RunSpec as canonical JSON).
ALTER TABLE runs ADD COLUMN resolved_commit TEXT;
ALTER TABLE runs ADD COLUMN config TEXT;

-- A job's SSH deploy key: the public half is shown to the user, the private half is sealed
-- like a secret and only ever opened by the master and the agents.
CREATE TABLE job_ssh_keys (
  job_id BIGINT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  public_key TEXT NOT NULL,
  sealed_private_key TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- SSH host keys, trusted on first use: the fingerprint a git server first showed is pinned,
-- and a different one later is refused.
CREATE TABLE ssh_host_keys (
  host TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL
);

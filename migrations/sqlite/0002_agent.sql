-- What the agent writes: the claim's lease, the exit code, console chunks and results.
ALTER TABLE runs ADD COLUMN lease TEXT;
ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
ALTER TABLE runs ADD COLUMN exit_code INTEGER;

-- The console as sequenced chunks, so a retried append is harmless and a reader can resume
-- at any offset. offset is the byte position of the chunk's first byte in the whole log.
CREATE TABLE console_chunks (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE results (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
);

-- Results at scale: a console cut at the log limit, results deleted by the retention sweeper
-- (marked expired first, so a reader never sees half of them, then purged from the store),
-- and the counts of a JUnit result, parsed once when the agent stored it.
ALTER TABLE runs ADD COLUMN console_truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN results_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN results_purged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_results_to_purge ON runs (results_expired, results_purged);

ALTER TABLE results ADD COLUMN junit_tests INTEGER;
ALTER TABLE results ADD COLUMN junit_failures INTEGER;
ALTER TABLE results ADD COLUMN junit_errors INTEGER;
ALTER TABLE results ADD COLUMN junit_skipped INTEGER;
ALTER TABLE results ADD COLUMN junit_time_ms INTEGER;

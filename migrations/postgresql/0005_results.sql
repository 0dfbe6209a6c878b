-- Results at scale: a console cut at the log limit, results deleted by the retention sweeper
-- (marked expired first, so a reader never sees half of them, then purged from the store),
-- and the counts of a JUnit result, parsed once when the agent stored it.
ALTER TABLE runs ADD COLUMN console_truncated SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN results_expired SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN results_purged SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX runs_results_to_purge ON runs (results_expired, results_purged);

ALTER TABLE results ADD COLUMN junit_tests BIGINT;
ALTER TABLE results ADD COLUMN junit_failures BIGINT;
ALTER TABLE results ADD COLUMN junit_errors BIGINT;
ALTER TABLE results ADD COLUMN junit_skipped BIGINT;
ALTER TABLE results ADD COLUMN junit_time_ms BIGINT;

-- Pull-request hooks. A delivery of a forge (GitHub's X-GitHub-Delivery, GitLab's
-- X-Gitlab-Event-UUID) is recorded once with the runs it started, so a redelivery starts none.
-- Each hook-triggered run keeps what triggered it and where its commit status stands: the
-- run status last reported to the forge, the next attempt after a transient failure, a
-- reporter's claim (so two masters never post the same report), and a permanent failure.
CREATE TABLE hook_deliveries (
  forge TEXT NOT NULL,
  connection TEXT NOT NULL,
  delivery TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (forge, connection, delivery)
);

CREATE TABLE hook_runs (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  hook_forge TEXT NOT NULL,
  hook_connection TEXT NOT NULL,
  hook_repository TEXT NOT NULL,
  hook_event TEXT NOT NULL,
  hook_delivery TEXT NOT NULL,
  hook_pull_request INTEGER,
  hook_head_branch TEXT,
  hook_base_branch TEXT,
  hook_sender TEXT,
  hook_head_sha TEXT NOT NULL,
  hook_project_id TEXT,
  report_status TEXT,
  report_state TEXT,
  report_error TEXT,
  report_attempts INTEGER NOT NULL DEFAULT 0,
  report_next_at INTEGER NOT NULL DEFAULT 0,
  report_claimed_until INTEGER NOT NULL DEFAULT 0,
  report_settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX hook_runs_by_delivery ON hook_runs (hook_forge, hook_connection, hook_delivery);
CREATE INDEX hook_runs_to_report ON hook_runs (report_settled, report_next_at);

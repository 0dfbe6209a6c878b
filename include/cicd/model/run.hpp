#pragma once
// Runs and their state machine (DESIGN.md):
//   queued → running → succeeded | failed | errored | timed_out | aborted,  queued → aborted.
// Terminal states never change.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::model {

enum class RunStatus { queued, running, succeeded, failed, errored, timed_out, aborted };

std::string_view to_string(RunStatus status);
std::optional<RunStatus> parse_run_status(std::string_view text);
inline bool is_terminal(RunStatus status) {
  return status != RunStatus::queued && status != RunStatus::running;
}

// A pull request or push of a forge (GitHub, GitLab) that started a run through a hook.
struct HookTrigger {
  std::string forge;      // "github" or "gitlab"
  std::string connection; // the integration's name (/integrations/{forge}/{connection})
  std::string repository; // "owner/name" (GitLab: the project's path with namespace)
  std::string event;      // "pull_request" or "push" (GitLab: "merge_request" or "push")
  std::string delivery;   // the forge's delivery id
  std::optional<std::int64_t> pull_request; // its number (GitLab: the merge request's iid)
  std::string head_branch;
  std::string base_branch; // empty for a push
  std::string sender;      // the forge account that caused the event
  std::string head_sha;    // the commit whose status is reported
  std::string project_id;  // GitLab: the project's numeric id, for its status API
  bool operator==(const HookTrigger&) const = default;
};

// Where the commit status of a hook-triggered run stands on its forge.
struct StatusReport {
  std::string state; // the forge state last settled ("pending", "success", …); empty: none yet
  std::string error; // why the forge refused the last report for good; empty when it took it
  std::int64_t attempts = 0; // transient failures of the report in progress
  bool operator==(const StatusReport&) const = default;
};

// What started a run and at which revision.
struct Trigger {
  // "api", "rerun", "retry" (automatic, after an infra error), "github" or "gitlab" (a hook)
  std::string kind = "api";
  std::string commit_sha; // exactly one of commit_sha and branch_name is set
  std::string branch_name;
  std::string by; // the token subject that asked for it
  std::optional<std::int64_t> rerun_of;
  std::optional<std::int64_t> retry_of;
  std::optional<HookTrigger> hook; // set for kinds "github" and "gitlab"
  bool operator==(const Trigger&) const = default;
};

struct Run {
  std::int64_t id = 0;
  std::string job;
  RunStatus status = RunStatus::queued;
  Trigger trigger;
  std::string parameters_json = "{}"; // canonical JSON object, defaults filled in
  std::int64_t queued_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;
  std::optional<std::int64_t> finished_at_ms;
  std::string reason; // why it errored or was aborted; empty otherwise
  bool abort_requested = false;
  std::string agent;                     // the agent that claimed it
  std::optional<std::int64_t> exit_code; // the job script's, once it ended
  std::string resource_class = "default";
  // Git jobs: the commit the run executes (the trigger's branch resolved when it was
  // triggered) and the repository's config file as parsed at that commit (a RunSpec as
  // canonical JSON). Both empty for a freestyle job.
  std::string commit_sha;
  std::string config_json;
  // The console reached the log limit: output past it was not stored.
  bool console_truncated = false;
  // The retention sweeper deleted the run's console and results.
  bool results_expired = false;
  // While queued: 1 for the next run of its resource class to be taken (read on demand).
  std::optional<std::int64_t> queue_position;
  // Hook-triggered runs: their commit status on the forge (never changes the run's status).
  std::optional<StatusReport> status_report;
};

// The run document served by the API.
std::string to_json(const Run& run);

} // namespace cicd::model

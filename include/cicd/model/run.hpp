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

// What started a run and at which revision.
struct Trigger {
  std::string kind = "api"; // "api", "rerun" or "retry" (automatic, after an infra error)
  std::string commit_sha;   // exactly one of commit_sha and branch_name is set
  std::string branch_name;
  std::string by; // the token subject that asked for it
  std::optional<std::int64_t> rerun_of;
  std::optional<std::int64_t> retry_of;
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
};

// The run document served by the API.
std::string to_json(const Run& run);

} // namespace cicd::model

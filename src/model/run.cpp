#include "cicd/model/run.hpp"

#include "cicd/model/json.hpp"

#include <array>

namespace cicd::model {
namespace {

constexpr std::array<std::string_view, 7> k_status_names = {
    "queued", "running", "succeeded", "failed", "errored", "timed_out", "aborted"};

void write_optional_string(JsonWriter& writer, const char* key, const std::string& value) {
  writer.Key(key);
  if (value.empty()) {
    writer.Null();
  } else {
    write_string(writer, value);
  }
}

void write_optional_time(JsonWriter& writer, const char* key, std::optional<std::int64_t> ms) {
  writer.Key(key);
  if (ms) {
    write_string(writer, format_timestamp(*ms));
  } else {
    writer.Null();
  }
}

void write_hook_trigger(JsonWriter& writer, const HookTrigger& hook) {
  writer.Key("hook");
  writer.StartObject();
  writer.Key("forge");
  write_string(writer, hook.forge);
  writer.Key("connection");
  write_string(writer, hook.connection);
  writer.Key("repository");
  write_string(writer, hook.repository);
  writer.Key("event");
  write_string(writer, hook.event);
  writer.Key("delivery");
  write_string(writer, hook.delivery);
  writer.Key("pullRequest");
  if (hook.pull_request) {
    writer.Int64(*hook.pull_request);
  } else {
    writer.Null();
  }
  write_optional_string(writer, "headBranch", hook.head_branch);
  write_optional_string(writer, "baseBranch", hook.base_branch);
  write_optional_string(writer, "sender", hook.sender);
  writer.Key("headSha");
  write_string(writer, hook.head_sha);
  writer.EndObject();
}

} // namespace

std::string_view to_string(RunStatus status) {
  return k_status_names[static_cast<std::size_t>(status)];
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (std::size_t i = 0; i < k_status_names.size(); ++i) {
    if (k_status_names[i] == text) {
      return static_cast<RunStatus>(i);
    }
  }
  return std::nullopt;
}

std::string to_json(const Run& run) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("id");
  writer.Int64(run.id);
  writer.Key("job");
  write_string(writer, run.job);
  writer.Key("status");
  write_string(writer, to_string(run.status));
  writer.Key("trigger");
  writer.StartObject();
  writer.Key("kind");
  write_string(writer, run.trigger.kind);
  write_optional_string(writer, "commitSha", run.trigger.commit_sha);
  write_optional_string(writer, "branchName", run.trigger.branch_name);
  writer.Key("by");
  write_string(writer, run.trigger.by);
  if (run.trigger.rerun_of) {
    writer.Key("rerunOf");
    writer.Int64(*run.trigger.rerun_of);
  }
  if (run.trigger.retry_of) {
    writer.Key("retryOf");
    writer.Int64(*run.trigger.retry_of);
  }
  if (run.trigger.hook) {
    write_hook_trigger(writer, *run.trigger.hook);
  }
  writer.EndObject();
  write_optional_string(writer, "commitSha", run.commit_sha);
  if (!run.config_json.empty()) {
    writer.Key("config");
    writer.RawValue(run.config_json.data(), run.config_json.size(), rapidjson::kObjectType);
  }
  writer.Key("parameters");
  writer.RawValue(run.parameters_json.data(), run.parameters_json.size(), rapidjson::kObjectType);
  write_optional_time(writer, "queuedAt", run.queued_at_ms);
  write_optional_time(writer, "startedAt", run.started_at_ms);
  write_optional_time(writer, "finishedAt", run.finished_at_ms);
  write_optional_string(writer, "reason", run.reason);
  writer.Key("abortRequested");
  writer.Bool(run.abort_requested);
  write_optional_string(writer, "agent", run.agent);
  writer.Key("exitCode");
  if (run.exit_code) {
    writer.Int64(*run.exit_code);
  } else {
    writer.Null();
  }
  writer.Key("consoleTruncated");
  writer.Bool(run.console_truncated);
  writer.Key("resultsExpired");
  writer.Bool(run.results_expired);
  if (run.queue_position) {
    writer.Key("queuePosition");
    writer.Int64(*run.queue_position);
  }
  if (run.status_report) {
    writer.Key("statusReport");
    writer.StartObject();
    write_optional_string(writer, "state", run.status_report->state);
    write_optional_string(writer, "error", run.status_report->error);
    writer.Key("attempts");
    writer.Int64(run.status_report->attempts);
    writer.EndObject();
  }
  writer.Key("href");
  write_string(writer, "/jobs/" + run.job + "/runs/" + std::to_string(run.id));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

} // namespace cicd::model

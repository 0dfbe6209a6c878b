#pragma once
// What the SqlStore files share: turning thrown errors into Results, converting values and
// rows, and the queries several methods need. Private to src/store.

#include "sql_database.hpp"

#include "cicd/store/store.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <type_traits>

namespace cicd::store::sql {

// Runs `body` and turns the ErrorException any layer threw into the Result the interface
// promises; the transaction has rolled back by then.
template <class T, class F>
Result<T> guarded(F&& body) {
  try {
    if constexpr (std::is_void_v<T>) {
      body();
      return {};
    } else {
      return body();
    }
  } catch (const ErrorException& e) {
    return e.error();
  }
}

[[noreturn]] inline void fail(ErrorCode code, std::string message) {
  throw ErrorException(make_error(code, std::move(message)));
}

inline std::string text(std::string_view s) {
  return std::string(s);
}
inline std::string number(std::int64_t n) {
  return std::to_string(n);
}
inline SqlValue optional_text(const std::string& s) {
  return s.empty() ? SqlValue() : SqlValue(s);
}
inline std::int64_t to_int(const SqlValue& v) {
  return v ? std::stoll(*v) : 0;
}
inline std::optional<std::int64_t> to_optional_int(const SqlValue& v) {
  return v ? std::optional<std::int64_t>(std::stoll(*v)) : std::nullopt;
}

inline constexpr std::string_view k_run_select =
    "SELECT r.id, j.name, r.status, r.trigger_kind, r.commit_sha, r.branch_name, "
    "r.triggered_by, r.rerun_of, r.parameters, r.queued_at, r.started_at, r.finished_at, "
    "r.reason, r.abort_requested, r.agent, r.exit_code, r.resource_class, r.retry_of, "
    "r.resolved_commit, r.config, r.console_truncated, r.results_expired, h.hook_forge, "
    "h.hook_connection, h.hook_repository, h.hook_event, h.hook_delivery, h.hook_pull_request, "
    "h.hook_head_branch, h.hook_base_branch, h.hook_sender, h.hook_head_sha, h.hook_project_id, "
    "h.report_state, h.report_error, h.report_attempts FROM runs r "
    "JOIN jobs j ON j.id = r.job_id LEFT JOIN hook_runs h ON h.run_id = r.id ";

inline model::Run to_run(const SqlRow& row) {
  model::Run run;
  run.id = to_int(row[0]);
  run.job = row[1].value_or("");
  run.status = model::parse_run_status(row[2].value_or("")).value_or(model::RunStatus::errored);
  run.trigger.kind = row[3].value_or("api");
  run.trigger.commit_sha = row[4].value_or("");
  run.trigger.branch_name = row[5].value_or("");
  run.trigger.by = row[6].value_or("");
  run.trigger.rerun_of = to_optional_int(row[7]);
  run.parameters_json = row[8].value_or("{}");
  run.queued_at_ms = to_int(row[9]);
  run.started_at_ms = to_optional_int(row[10]);
  run.finished_at_ms = to_optional_int(row[11]);
  run.reason = row[12].value_or("");
  run.abort_requested = to_int(row[13]) != 0;
  run.agent = row[14].value_or("");
  run.exit_code = to_optional_int(row[15]);
  run.resource_class = row[16].value_or("default");
  run.trigger.retry_of = to_optional_int(row[17]);
  run.commit_sha = row[18].value_or("");
  run.config_json = row[19].value_or("");
  run.console_truncated = to_int(row[20]) != 0;
  run.results_expired = to_int(row[21]) != 0;
  if (row[22]) { // a hook started it
    run.trigger.hook = model::HookTrigger{
        row[22].value_or(""), row[23].value_or(""),     row[24].value_or(""), row[25].value_or(""),
        row[26].value_or(""), to_optional_int(row[27]), row[28].value_or(""), row[29].value_or(""),
        row[30].value_or(""), row[31].value_or(""),     row[32].value_or("")};
    run.status_report =
        model::StatusReport{row[33].value_or(""), row[34].value_or(""), to_int(row[35])};
  }
  return run;
}

inline StoredJob to_job(const SqlRow& row) {
  return StoredJob{row[0].value_or(""), row[1].value_or(""), row[2].value_or(""), to_int(row[3]),
                   to_int(row[4])};
}

inline std::int64_t job_id(SqlConnection& sql, std::string_view job, std::string_view lock = "") {
  auto rows = sql.query("SELECT id FROM jobs WHERE name = $1" + std::string(lock), {text(job)});
  if (rows.empty()) {
    fail(ErrorCode::not_found, fmt::format("there is no job named '{}'", job));
  }
  return to_int(rows[0][0]);
}

inline model::Run select_run(SqlConnection& sql, std::string_view job, std::int64_t id) {
  auto rows = sql.query(std::string(k_run_select) + "WHERE r.id = $1 AND j.name = $2",
                        {number(id), text(job)});
  if (rows.empty()) {
    fail(ErrorCode::not_found, fmt::format("job '{}' has no run {}", job, id));
  }
  return to_run(rows[0]);
}

// Refuses a write by an execution whose lease is no longer the run's (fencing).
inline void check_lease(SqlConnection& sql, std::int64_t id, std::string_view lease,
                        std::string_view lock_clause) {
  auto rows = sql.query("SELECT status, lease FROM runs WHERE id = $1" + std::string(lock_clause),
                        {number(id)});
  if (rows.empty() || rows[0][0].value_or("") != "running" || rows[0][1].value_or("") != lease) {
    fail(ErrorCode::conflict, fmt::format("run {} is no longer running under this agent's lease: "
                                          "the write was refused",
                                          id));
  }
}

} // namespace cicd::store::sql

// SqlStore: runs started by forge hooks, their deliveries, and the reports of their status.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

namespace cicd::store {

using namespace sql;
using model::Run;

namespace {

// Inserts the run and what triggered it; nullopt when its job is gone.
std::optional<std::int64_t> insert_hook_run(SqlConnection& sql, const NewRun& request,
                                            std::int64_t now_ms) {
  auto rows = sql.query(
      "INSERT INTO runs (job_id, status, trigger_kind, commit_sha, branch_name, triggered_by, "
      "parameters, resource_class, queued_at, resolved_commit, config) SELECT id, 'queued', $2, "
      "$3, $4, $5, $6, $7, $8, $9, $10 FROM jobs WHERE name = $1 RETURNING id",
      {request.job, request.trigger.kind, optional_text(request.trigger.commit_sha),
       optional_text(request.trigger.branch_name), request.trigger.by, request.parameters_json,
       request.resource_class, number(now_ms), optional_text(request.commit_sha),
       optional_text(request.config_json)});
  if (rows.empty()) {
    return std::nullopt;
  }
  auto id = to_int(rows[0][0]);
  const auto& hook = *request.trigger.hook;
  sql.query("INSERT INTO hook_runs (run_id, hook_forge, hook_connection, hook_repository, "
            "hook_event, hook_delivery, hook_pull_request, hook_head_branch, hook_base_branch, "
            "hook_sender, hook_head_sha, hook_project_id) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8, $9, $10, $11, $12)",
            {number(id), hook.forge, hook.connection, hook.repository, hook.event, hook.delivery,
             hook.pull_request ? SqlValue(number(*hook.pull_request)) : SqlValue(),
             optional_text(hook.head_branch), optional_text(hook.base_branch),
             optional_text(hook.sender), hook.head_sha, optional_text(hook.project_id)});
  return id;
}

} // namespace

Result<HookRuns> SqlStore::create_hook_runs(const HookDelivery& delivery,
                                            const std::vector<NewRun>& runs, std::int64_t now_ms) {
  return guarded<HookRuns>([&] {
    HookRuns result;
    m_db->transact([&](SqlConnection& sql) {
      // A concurrent transaction recording the same delivery makes this insert wait for it,
      // then do nothing: the runs it committed are read below.
      auto recorded = sql.query("INSERT INTO hook_deliveries (forge, connection, delivery, "
                                "created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING "
                                "RETURNING delivery",
                                {delivery.forge, delivery.connection, delivery.id, number(now_ms)});
      if (recorded.empty()) {
        result.replayed = true;
        auto rows = sql.query(std::string(k_run_select) +
                                  "WHERE h.hook_forge = $1 AND h.hook_connection = $2 AND "
                                  "h.hook_delivery = $3 ORDER BY r.id",
                              {delivery.forge, delivery.connection, delivery.id});
        for (const auto& row : rows) {
          result.runs.push_back(to_run(row));
        }
        return;
      }
      for (const auto& run : runs) {
        if (auto id = insert_hook_run(sql, run, now_ms)) {
          auto rows = sql.query(std::string(k_run_select) + "WHERE r.id = $1", {number(*id)});
          result.runs.push_back(to_run(rows.at(0)));
        }
      }
    });
    return result;
  });
}

Result<std::vector<Run>> SqlStore::status_reports_due(std::int64_t now_ms, int limit) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->autocommit([&](SqlConnection& sql) {
      auto rows = sql.query(std::string(k_run_select) +
                                "WHERE h.report_settled = 0 AND h.report_next_at <= $1 AND "
                                "h.report_claimed_until <= $1 AND (h.report_status IS NULL OR "
                                "h.report_status <> r.status) ORDER BY r.id LIMIT $2",
                            {number(now_ms), number(limit)});
      for (const auto& row : rows) {
        runs.push_back(to_run(row));
      }
    });
    return runs;
  });
}

Result<bool> SqlStore::claim_status_report(std::int64_t id, std::int64_t now_ms,
                                           std::int64_t claimed_until_ms) {
  return guarded<bool>([&] {
    bool claimed = false;
    m_db->autocommit([&](SqlConnection& sql) {
      claimed = !sql.query("UPDATE hook_runs SET report_claimed_until = $3 WHERE run_id = $1 "
                           "AND report_claimed_until <= $2 AND report_settled = 0 RETURNING "
                           "run_id",
                           {number(id), number(now_ms), number(claimed_until_ms)})
                     .empty();
    });
    return claimed;
  });
}

Result<void> SqlStore::record_status_report(std::int64_t id, const StatusReportOutcome& outcome) {
  return guarded<void>([&] {
    m_db->autocommit([&](SqlConnection& sql) {
      if (outcome.reported_status) {
        // Done with this status; a terminal one is the last there will be.
        auto status = *outcome.reported_status;
        sql.query("UPDATE hook_runs SET report_status = $2, report_state = $3, report_error = "
                  "$4, report_attempts = 0, report_next_at = 0, report_claimed_until = 0, "
                  "report_settled = $5 WHERE run_id = $1",
                  {number(id), text(model::to_string(status)), outcome.state,
                   optional_text(outcome.error), number(model::is_terminal(status) ? 1 : 0)});
      } else {
        sql.query("UPDATE hook_runs SET report_attempts = report_attempts + 1, report_next_at = "
                  "$2, report_claimed_until = 0 WHERE run_id = $1",
                  {number(id), number(outcome.next_attempt_ms)});
      }
    });
  });
}

} // namespace cicd::store

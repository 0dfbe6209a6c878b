// SqlStore: what agents write, each write fenced by the claim's lease.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include "cicd/crypto/random.hpp"

namespace cicd::store {

using namespace sql;
using model::Run;
using model::RunStatus;

Result<std::optional<Run>> SqlStore::claim_run(std::int64_t id, std::string_view agent,
                                               std::string_view lease, std::int64_t now_ms,
                                               std::int64_t lease_expires_ms) {
  return guarded<std::optional<Run>>([&] {
    std::optional<Run> run;
    m_db->transact([&](SqlConnection& sql) {
      auto claimed = sql.query(
          "UPDATE runs SET status = 'running', agent = $2, lease = $3, "
          "started_at = $4, lease_expires_at = $5 WHERE id = $1 AND "
          "status = 'queued' RETURNING job_id",
          {number(id), text(agent), text(lease), number(now_ms), number(lease_expires_ms)});
      if (claimed.empty()) {
        return;
      }
      auto rows = sql.query(std::string(k_run_select) + "WHERE r.id = $1", {number(id)});
      run = to_run(rows.at(0));
    });
    return run;
  });
}

Result<LeaseStatus> SqlStore::renew_lease(std::int64_t id, std::string_view lease,
                                          std::int64_t lease_expires_ms) {
  return guarded<LeaseStatus>([&] {
    LeaseStatus status;
    m_db->transact([&](SqlConnection& sql) {
      auto rows = sql.query("UPDATE runs SET lease_expires_at = $3 WHERE id = $1 AND lease = $2 "
                            "AND status = 'running' RETURNING abort_requested, reason",
                            {number(id), text(lease), number(lease_expires_ms)});
      if (rows.empty()) {
        fail(ErrorCode::conflict,
             fmt::format("run {} is no longer running under this agent's lease", id));
      }
      status.abort_requested = to_int(rows[0][0]) != 0;
      status.abort_reason = rows[0][1].value_or("aborted");
    });
    return status;
  });
}

Result<void> SqlStore::append_console(std::int64_t id, std::string_view lease, std::int64_t seq,
                                      std::int64_t byte_offset, std::string_view content) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      check_lease(sql, id, lease, "");
      sql.query("INSERT INTO console_chunks (run_id, seq, byte_offset, content) VALUES ($1, $2, "
                "$3, $4) ON CONFLICT (run_id, seq) DO NOTHING",
                {number(id), number(seq), number(byte_offset), crypto::to_hex(content)});
    });
  });
}

Result<void> SqlStore::finish_run(std::int64_t id, std::string_view lease, RunStatus status,
                                  std::optional<std::int64_t> exit_code, std::string_view reason,
                                  bool console_stored, std::int64_t now_ms) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      auto changed = sql.query(
          "UPDATE runs SET status = $3, exit_code = $4, reason = $5, finished_at = $6 WHERE "
          "id = $1 AND lease = $2 AND status = 'running' RETURNING id",
          {number(id), text(lease), text(model::to_string(status)),
           exit_code ? SqlValue(number(*exit_code)) : SqlValue(),
           optional_text(std::string(reason)), number(now_ms)});
      if (changed.empty()) {
        fail(ErrorCode::conflict, fmt::format("run {} is no longer running under this agent's "
                                              "lease: its final status was not written",
                                              id));
      }
      if (console_stored) {
        sql.query("DELETE FROM console_chunks WHERE run_id = $1", {number(id)});
      }
    });
  });
}

Result<std::vector<Run>> SqlStore::queued_runs(std::int64_t queued_before_ms, int limit) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row :
           sql.query(std::string(k_run_select) + "WHERE r.status = 'queued' AND r.queued_at < $1 "
                                                 "ORDER BY r.id LIMIT $2",
                     {number(queued_before_ms), number(limit)})) {
        runs.push_back(to_run(row));
      }
    });
    return runs;
  });
}

Result<int> SqlStore::fail_runs_of_agent(std::string_view agent, std::string_view reason,
                                         std::int64_t now_ms) {
  return guarded<int>([&] {
    int count = 0;
    m_db->transact([&](SqlConnection& sql) {
      count = static_cast<int>(sql.query("UPDATE runs SET status = 'errored', reason = $2, "
                                         "finished_at = $3 WHERE agent = $1 AND status = "
                                         "'running' RETURNING id",
                                         {text(agent), text(reason), number(now_ms)})
                                   .size());
    });
    return count;
  });
}

} // namespace cicd::store

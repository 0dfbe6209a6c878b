// SqlStore: results as the agent records them, their listing, and their retention.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include <algorithm>

namespace cicd::store {

using namespace sql;

namespace {

SqlValue optional_number(const std::optional<JunitSummary>& junit,
                         std::int64_t JunitSummary::*member) {
  return junit ? SqlValue(number((*junit).*member)) : SqlValue();
}

} // namespace

Result<void> SqlStore::record_result(std::int64_t id, std::string_view lease,
                                     const ResultInfo& result, std::int64_t now_ms) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      check_lease(sql, id, lease, "");
      const auto& junit = result.junit;
      sql.query("INSERT INTO results (run_id, name, content_type, size, created_at, junit_tests, "
                "junit_failures, junit_errors, junit_skipped, junit_time_ms) VALUES ($1, $2, $3, "
                "$4, $5, $6, $7, $8, $9, $10) ON CONFLICT (run_id, name) DO UPDATE SET "
                "content_type = excluded.content_type, size = excluded.size, junit_tests = "
                "excluded.junit_tests, junit_failures = excluded.junit_failures, junit_errors = "
                "excluded.junit_errors, junit_skipped = excluded.junit_skipped, junit_time_ms = "
                "excluded.junit_time_ms",
                {number(id), result.name, result.content_type, number(result.size), number(now_ms),
                 optional_number(junit, &JunitSummary::tests),
                 optional_number(junit, &JunitSummary::failures),
                 optional_number(junit, &JunitSummary::errors),
                 optional_number(junit, &JunitSummary::skipped),
                 optional_number(junit, &JunitSummary::time_ms)});
    });
  });
}

Result<std::vector<ResultInfo>> SqlStore::list_results(std::int64_t id) {
  return guarded<std::vector<ResultInfo>>([&] {
    std::vector<ResultInfo> results;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row :
           sql.query("SELECT name, content_type, size, junit_tests, junit_failures, junit_errors, "
                     "junit_skipped, junit_time_ms FROM results WHERE run_id = $1 ORDER BY name",
                     {number(id)})) {
        ResultInfo result{row[0].value_or(""), row[1].value_or(""), to_int(row[2]), std::nullopt};
        if (row[3]) {
          result.junit = JunitSummary{to_int(row[3]), to_int(row[4]), to_int(row[5]),
                                      to_int(row[6]), to_int(row[7])};
        }
        results.push_back(std::move(result));
      }
    });
    return results;
  });
}

Result<void> SqlStore::mark_console_truncated(std::int64_t id, std::string_view lease) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      check_lease(sql, id, lease, "");
      sql.query("UPDATE runs SET console_truncated = 1 WHERE id = $1", {number(id)});
    });
  });
}

Result<std::vector<std::int64_t>>
SqlStore::expire_results(std::string_view job, std::int64_t finished_before_ms, int limit) {
  return guarded<std::vector<std::int64_t>>([&] {
    std::vector<std::int64_t> ids;
    m_db->transact([&](SqlConnection& sql) {
      auto rows = sql.query(
          "UPDATE runs SET results_expired = 1 WHERE id IN (SELECT r.id FROM runs r JOIN jobs j "
          "ON j.id = r.job_id WHERE j.name = $1 AND r.finished_at < $2 AND r.results_expired = "
          "0 ORDER BY r.id LIMIT $3) RETURNING id",
          {text(job), number(finished_before_ms), number(limit)});
      for (const auto& row : rows) {
        ids.push_back(to_int(row[0]));
        sql.query("DELETE FROM results WHERE run_id = $1", {row[0]});
        sql.query("DELETE FROM console_chunks WHERE run_id = $1", {row[0]});
      }
    });
    std::sort(ids.begin(), ids.end()); // RETURNING has no order
    return ids;
  });
}

Result<std::vector<std::int64_t>> SqlStore::results_to_purge(int limit) {
  return guarded<std::vector<std::int64_t>>([&] {
    std::vector<std::int64_t> ids;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row : sql.query("SELECT id FROM runs WHERE results_expired = 1 AND "
                                       "results_purged = 0 ORDER BY id LIMIT $1",
                                       {number(limit)})) {
        ids.push_back(to_int(row[0]));
      }
    });
    return ids;
  });
}

Result<void> SqlStore::mark_results_purged(std::int64_t id) {
  return guarded<void>([&] {
    m_db->autocommit([&](SqlConnection& sql) {
      sql.query("UPDATE runs SET results_purged = 1 WHERE id = $1", {number(id)});
    });
  });
}

} // namespace cicd::store

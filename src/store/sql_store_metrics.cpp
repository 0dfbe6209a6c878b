// SqlStore: counts over all runs for GET /metrics, the same SQL on SQLite and PostgreSQL.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include <algorithm>
#include <cassert>

namespace cicd::store {

using namespace sql;

namespace {

// "SUM(CASE WHEN <duration> <= b THEN 1 ELSE 0 END), …" for each bound. A NULL duration (a run
// that has not started or finished) compares as NULL and falls to ELSE. The bounds are our own
// integers, so they are written into the statement rather than bound as parameters.
std::string bucket_sums(std::string_view duration, const std::vector<std::int64_t>& bounds_ms) {
  std::string columns;
  for (auto bound : bounds_ms) {
    columns += fmt::format("SUM(CASE WHEN {} <= {} THEN 1 ELSE 0 END), ", duration, bound);
  }
  return columns;
}

// Reads the columns bucket_sums() made, then the count and the sum, from `row` at `column`.
DurationCounts read_counts(const SqlRow& row, std::size_t& column,
                           const std::vector<std::int64_t>& bounds_ms) {
  DurationCounts counts;
  counts.bounds_ms = bounds_ms;
  for (std::size_t i = 0; i < bounds_ms.size(); ++i) {
    counts.at_or_below.push_back(to_int(row[column++]));
  }
  counts.count = to_int(row[column++]);
  counts.sum_ms = to_int(row[column++]);
  return counts;
}

} // namespace

Result<RunStatistics>
SqlStore::run_statistics(const std::vector<std::int64_t>& run_time_bounds_ms,
                         const std::vector<std::int64_t>& queue_wait_bounds_ms) {
  assert(std::is_sorted(run_time_bounds_ms.begin(), run_time_bounds_ms.end()));
  assert(std::is_sorted(queue_wait_bounds_ms.begin(), queue_wait_bounds_ms.end()));
  return guarded<RunStatistics>([&] {
    RunStatistics statistics;
    m_db->autocommit([&](SqlConnection& sql) {
      // One pass for both histograms: every run that started has a wait, and a run time once
      // it finished (COUNT and SUM skip the NULLs of the runs still going).
      constexpr std::string_view k_run_time = "(finished_at - started_at)";
      constexpr std::string_view k_wait = "(started_at - queued_at)";
      auto durations =
          sql.query(fmt::format("SELECT {}COUNT(finished_at), SUM({}), {}COUNT(*), SUM({}) FROM "
                                "runs WHERE started_at IS NOT NULL",
                                bucket_sums(k_run_time, run_time_bounds_ms), k_run_time,
                                bucket_sums(k_wait, queue_wait_bounds_ms), k_wait),
                    {});
      std::size_t column = 0;
      statistics.run_time = read_counts(durations.at(0), column, run_time_bounds_ms);
      statistics.queue_wait = read_counts(durations.at(0), column, queue_wait_bounds_ms);

      for (const auto& row : sql.query("SELECT status, resource_class, COUNT(*) FROM runs GROUP BY "
                                       "status, resource_class",
                                       {})) {
        auto status = model::parse_run_status(row[0].value_or(""));
        auto count = to_int(row[2]);
        if (!status) {
          continue; // the schema allows no other value; a later version's status is not ours
        }
        statistics.by_status[*status] += count;
        if (*status == model::RunStatus::queued) {
          statistics.queued_by_class[row[1].value_or("default")] += count;
        }
      }
    });
    return statistics;
  });
}

} // namespace cicd::store

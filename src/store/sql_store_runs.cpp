// SqlStore: runs as the API creates, reads and aborts them.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include "cicd/crypto/random.hpp"

namespace cicd::store {

using namespace sql;
using model::Run;
using model::RunStatus;

namespace {

// The common case, in one statement and one round trip: the run document is made from what
// was inserted rather than read back.
CreatedRun create_run_without_key(SqlDatabase& db, const NewRun& request, std::int64_t now_ms) {
  CreatedRun created;
  db.autocommit([&](SqlConnection& sql) {
    auto rows = sql.query(
        "INSERT INTO runs (job_id, status, trigger_kind, commit_sha, branch_name, triggered_by, "
        "rerun_of, parameters, resource_class, queued_at, resolved_commit, config) SELECT id, "
        "'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM jobs WHERE name = $1 RETURNING id",
        {request.job, request.trigger.kind, optional_text(request.trigger.commit_sha),
         optional_text(request.trigger.branch_name), request.trigger.by,
         request.trigger.rerun_of ? SqlValue(number(*request.trigger.rerun_of)) : SqlValue(),
         request.parameters_json, request.resource_class, number(now_ms),
         optional_text(request.commit_sha), optional_text(request.config_json)});
    if (rows.empty()) {
      fail(ErrorCode::not_found, fmt::format("there is no job named '{}'", request.job));
    }
    auto& run = created.run;
    run.id = to_int(rows[0][0]);
    run.job = request.job;
    run.trigger = request.trigger;
    run.parameters_json = request.parameters_json;
    run.resource_class = request.resource_class;
    run.commit_sha = request.commit_sha;
    run.config_json = request.config_json;
    run.queued_at_ms = now_ms;
  });
  return created;
}

// Thrown inside create_run's transaction when a concurrent request won the idempotency key.
struct IdempotencyRace {};

} // namespace

Result<CreatedRun> SqlStore::create_run(const NewRun& request, std::int64_t now_ms) {
  return guarded<CreatedRun>([&] {
    // Two attempts: the second only runs when a concurrent request took the idempotency key
    // between our check and our insert, and then finds that request's run.
    if (request.idempotency_key.empty()) {
      return create_run_without_key(*m_db, request, now_ms);
    }
    for (int attempt = 0;; ++attempt) {
      try {
        CreatedRun created;
        m_db->transact([&](SqlConnection& sql) {
          auto id = number(job_id(sql, request.job));
          if (!request.idempotency_key.empty()) {
            auto existing = sql.query("SELECT fingerprint, run_id FROM idempotency_keys "
                                      "WHERE job_id = $1 AND key = $2",
                                      {id, request.idempotency_key});
            if (!existing.empty()) {
              if (existing[0][0].value_or("") != request.request_fingerprint) {
                fail(ErrorCode::unprocessable,
                     "this Idempotency-Key was already used with a different request body: use "
                     "a new key for a new request");
              }
              created.run = select_run(sql, request.job, to_int(existing[0][1]));
              created.replayed = true;
              return;
            }
          }
          auto rows = sql.query(
              "INSERT INTO runs (job_id, status, trigger_kind, commit_sha, branch_name, "
              "triggered_by, rerun_of, parameters, resource_class, queued_at, resolved_commit, "
              "config) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
              "RETURNING id",
              {id, request.trigger.kind, optional_text(request.trigger.commit_sha),
               optional_text(request.trigger.branch_name), request.trigger.by,
               request.trigger.rerun_of ? SqlValue(number(*request.trigger.rerun_of)) : SqlValue(),
               request.parameters_json, request.resource_class, number(now_ms),
               optional_text(request.commit_sha), optional_text(request.config_json)});
          auto run_id = to_int(rows[0][0]);
          if (!request.idempotency_key.empty()) {
            auto claimed = sql.query("INSERT INTO idempotency_keys (job_id, key, fingerprint, "
                                     "run_id, created_at) VALUES ($1, $2, $3, $4, $5) "
                                     "ON CONFLICT DO NOTHING RETURNING run_id",
                                     {id, request.idempotency_key, request.request_fingerprint,
                                      number(run_id), number(now_ms)});
            if (claimed.empty()) {
              throw IdempotencyRace{};
            }
          }
          created.run = select_run(sql, request.job, run_id);
        });
        return created;
      } catch (const IdempotencyRace&) {
        if (attempt > 0) {
          fail(ErrorCode::conflict, "another request with this Idempotency-Key is in progress: "
                                    "retry");
        }
      }
    }
  });
}

Result<Run> SqlStore::get_run(std::string_view job, std::int64_t id) {
  return guarded<Run>([&] {
    Run run;
    m_db->autocommit([&](SqlConnection& sql) {
      run = select_run(sql, job, id);
      if (run.status == RunStatus::queued) {
        auto ahead = sql.query("SELECT count(*) FROM runs WHERE status = 'queued' AND "
                               "resource_class = $1 AND id <= $2",
                               {run.resource_class, number(id)});
        run.queue_position = to_int(ahead[0][0]);
      }
    });
    return run;
  });
}

Result<std::vector<Run>> SqlStore::list_runs(std::string_view job, const RunQuery& query) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->autocommit([&](SqlConnection& sql) {
      std::vector<SqlValue> params{number(job_id(sql, job))};
      std::string where = "WHERE r.job_id = $1";
      if (query.status) {
        params.emplace_back(text(model::to_string(*query.status)));
        where += fmt::format(" AND r.status = ${}", params.size());
      }
      if (query.before_id) {
        params.emplace_back(number(*query.before_id));
        where += fmt::format(" AND r.id < ${}", params.size());
      }
      params.emplace_back(number(query.limit));
      auto sql_text =
          fmt::format("{}{} ORDER BY r.id DESC LIMIT ${}", k_run_select, where, params.size());
      for (const auto& row : sql.query(sql_text, params)) {
        runs.push_back(to_run(row));
      }
    });
    return runs;
  });
}

Result<std::vector<Run>> SqlStore::last_runs(std::string_view first_name,
                                             std::string_view last_name) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->autocommit([&](SqlConnection& sql) {
      auto sql_text = fmt::format("{}WHERE r.id IN (SELECT max(n.id) FROM runs n JOIN jobs k ON "
                                  "k.id = n.job_id WHERE k.name >= $1 AND k.name <= $2 GROUP BY "
                                  "n.job_id) ORDER BY j.name",
                                  k_run_select);
      for (const auto& row : sql.query(sql_text, {text(first_name), text(last_name)})) {
        runs.push_back(to_run(row));
      }
    });
    return runs;
  });
}

Result<Run> SqlStore::abort_run(std::string_view job, std::int64_t id, std::string_view by,
                                std::int64_t now_ms) {
  return guarded<Run>([&] {
    Run run;
    m_db->transact([&](SqlConnection& sql) {
      auto current = select_run(sql, job, id);
      if (current.status == RunStatus::queued) {
        // The compare-and-set on status keeps a concurrent claim by an agent safe.
        auto changed = sql.query("UPDATE runs SET status = 'aborted', finished_at = $2, "
                                 "reason = $3, abort_requested = 1 WHERE id = $1 AND "
                                 "status = 'queued' RETURNING id",
                                 {number(id), number(now_ms), fmt::format("aborted by {}", by)});
        if (!changed.empty()) {
          run = select_run(sql, job, id);
          return;
        }
        current = select_run(sql, job, id);
      }
      if (current.status == RunStatus::running) {
        sql.query("UPDATE runs SET abort_requested = 1, reason = $2 WHERE id = $1 AND "
                  "status = 'running'",
                  {number(id), fmt::format("aborted by {}", by)});
        run = select_run(sql, job, id);
        return;
      }
      fail(ErrorCode::conflict, fmt::format("run {} has already finished ({}): there is nothing to "
                                            "abort",
                                            id, model::to_string(current.status)));
    });
    return run;
  });
}

Result<std::vector<ConsoleChunk>> SqlStore::read_console(std::int64_t id, std::int64_t from_offset,
                                                         int max_chunks) {
  return guarded<std::vector<ConsoleChunk>>([&] {
    std::vector<ConsoleChunk> chunks;
    m_db->autocommit([&](SqlConnection& sql) {
      // The chunk holding from_offset starts at or before it: take the last such start.
      auto rows = sql.query("SELECT seq, byte_offset, content FROM console_chunks WHERE run_id = "
                            "$1 AND seq >= COALESCE((SELECT max(seq) FROM console_chunks WHERE "
                            "run_id = $1 AND byte_offset <= $2), 0) ORDER BY seq LIMIT $3",
                            {number(id), number(from_offset), number(max_chunks)});
      for (const auto& row : rows) {
        chunks.push_back(ConsoleChunk{to_int(row[0]), to_int(row[1]),
                                      crypto::from_hex(row[2].value_or("")).value_or("")});
      }
    });
    return chunks;
  });
}

} // namespace cicd::store

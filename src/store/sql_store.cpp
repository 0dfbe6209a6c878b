#include "sql_store.hpp"

#include <fmt/format.h>

namespace cicd::store {
namespace {

using model::Run;
using model::RunStatus;

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

[[noreturn]] void fail(ErrorCode code, std::string message) {
  throw ErrorException(make_error(code, std::move(message)));
}

std::string text(std::string_view s) { return std::string(s); }
std::string number(std::int64_t n) { return std::to_string(n); }
SqlValue optional_text(const std::string& s) { return s.empty() ? SqlValue() : SqlValue(s); }
std::int64_t to_int(const SqlValue& v) { return v ? std::stoll(*v) : 0; }
std::optional<std::int64_t> to_optional_int(const SqlValue& v) {
  return v ? std::optional<std::int64_t>(std::stoll(*v)) : std::nullopt;
}

constexpr std::string_view k_run_select =
    "SELECT r.id, j.name, r.status, r.trigger_kind, r.commit_sha, r.branch_name, "
    "r.triggered_by, r.rerun_of, r.parameters, r.queued_at, r.started_at, r.finished_at, "
    "r.reason, r.abort_requested, r.agent FROM runs r JOIN jobs j ON j.id = r.job_id ";

Run to_run(const SqlRow& row) {
  Run run;
  run.id = to_int(row[0]);
  run.job = row[1].value_or("");
  run.status = model::parse_run_status(row[2].value_or("")).value_or(RunStatus::errored);
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
  return run;
}

StoredJob to_job(const SqlRow& row) {
  return StoredJob{row[0].value_or(""), row[1].value_or(""), row[2].value_or(""), to_int(row[3]),
                   to_int(row[4])};
}

std::int64_t job_id(SqlConnection& sql, std::string_view job, std::string_view lock = "") {
  auto rows = sql.query("SELECT id FROM jobs WHERE name = $1" + std::string(lock), {text(job)});
  if (rows.empty()) {
    fail(ErrorCode::not_found, fmt::format("there is no job named '{}'", job));
  }
  return to_int(rows[0][0]);
}

Run select_run(SqlConnection& sql, std::string_view job, std::int64_t id) {
  auto rows =
      sql.query(std::string(k_run_select) + "WHERE r.id = $1 AND j.name = $2", {number(id), text(job)});
  if (rows.empty()) {
    fail(ErrorCode::not_found, fmt::format("job '{}' has no run {}", job, id));
  }
  return to_run(rows[0]);
}

// Thrown inside create_run's transaction when a concurrent request won the idempotency key.
struct IdempotencyRace {};

} // namespace

Result<PutOutcome> SqlStore::put_job(const PutJobRequest& request, std::int64_t now_ms) {
  return guarded<PutOutcome>([&] {
    PutOutcome outcome = PutOutcome::created;
    m_db->transact([&](SqlConnection& sql) {
      auto rows = sql.query("SELECT etag FROM jobs WHERE name = $1" + std::string(m_db->lock_clause()),
                            {request.name});
      bool exists = !rows.empty();
      std::string current = exists ? rows[0][0].value_or("") : "";
      if (request.if_match && (!exists || (*request.if_match != "*" && *request.if_match != current))) {
        fail(ErrorCode::precondition_failed,
             exists ? fmt::format("job '{}' changed since you read it (If-Match {} is not the "
                                  "current ETag): GET it again and reapply your change",
                                  request.name, *request.if_match)
                    : fmt::format("job '{}' does not exist, so If-Match cannot match",
                                  request.name));
      }
      if (request.if_none_match_any && exists) {
        fail(ErrorCode::precondition_failed,
             fmt::format("job '{}' already exists (If-None-Match: *)", request.name));
      }
      if (!exists) {
        auto inserted = sql.query("INSERT INTO jobs (name, definition, etag, created_at, updated_at) "
                                  "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING "
                                  "RETURNING id",
                                  {request.name, request.definition_json, request.etag, number(now_ms)});
        if (inserted.empty()) {
          fail(ErrorCode::conflict,
               fmt::format("job '{}' was created by another request at the same time: retry",
                           request.name));
        }
        outcome = PutOutcome::created;
      } else if (current == request.etag) {
        outcome = PutOutcome::unchanged;
      } else {
        sql.query("UPDATE jobs SET definition = $2, etag = $3, updated_at = $4 WHERE name = $1",
                  {request.name, request.definition_json, request.etag, number(now_ms)});
        outcome = PutOutcome::updated;
      }
    });
    return outcome;
  });
}

Result<StoredJob> SqlStore::get_job(std::string_view name) {
  return guarded<StoredJob>([&] {
    std::vector<SqlRow> rows;
    m_db->read([&](SqlConnection& sql) {
      rows = sql.query("SELECT name, definition, etag, created_at, updated_at FROM jobs "
                       "WHERE name = $1",
                       {text(name)});
    });
    if (rows.empty()) {
      fail(ErrorCode::not_found, fmt::format("there is no job named '{}'", name));
    }
    return to_job(rows[0]);
  });
}

Result<std::vector<StoredJob>> SqlStore::list_jobs(std::string_view after_name, int limit) {
  return guarded<std::vector<StoredJob>>([&] {
    std::vector<StoredJob> jobs;
    m_db->read([&](SqlConnection& sql) {
      for (const auto& row : sql.query("SELECT name, definition, etag, created_at, updated_at "
                                       "FROM jobs WHERE name > $1 ORDER BY name LIMIT $2",
                                       {text(after_name), number(limit)})) {
        jobs.push_back(to_job(row));
      }
    });
    return jobs;
  });
}

Result<void> SqlStore::delete_job(std::string_view name, const std::optional<std::string>& if_match) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      auto rows = sql.query("SELECT id, etag FROM jobs WHERE name = $1" +
                                std::string(m_db->lock_clause()),
                            {text(name)});
      if (rows.empty()) {
        fail(ErrorCode::not_found, fmt::format("there is no job named '{}'", name));
      }
      if (if_match && *if_match != "*" && *if_match != rows[0][1].value_or("")) {
        fail(ErrorCode::precondition_failed,
             fmt::format("job '{}' changed since you read it (If-Match does not match)", name));
      }
      auto active = sql.query("SELECT count(*) FROM runs WHERE job_id = $1 AND status IN "
                              "('queued', 'running')",
                              {rows[0][0]});
      if (to_int(active[0][0]) > 0) {
        fail(ErrorCode::conflict,
             fmt::format("job '{}' has {} queued or running run(s): abort them or wait for them "
                         "to finish, then delete it",
                         name, to_int(active[0][0])));
      }
      sql.query("DELETE FROM jobs WHERE id = $1", {rows[0][0]});
    });
  });
}

Result<CreatedRun> SqlStore::create_run(const NewRun& request, std::int64_t now_ms) {
  return guarded<CreatedRun>([&] {
    // Two attempts: the second only runs when a concurrent request took the idempotency key
    // between our check and our insert, and then finds that request's run.
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
              "triggered_by, rerun_of, parameters, resource_class, queued_at) VALUES "
              "($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
              {id, request.trigger.kind, optional_text(request.trigger.commit_sha),
               optional_text(request.trigger.branch_name), request.trigger.by,
               request.trigger.rerun_of ? SqlValue(number(*request.trigger.rerun_of)) : SqlValue(),
               request.parameters_json, request.resource_class, number(now_ms)});
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
    m_db->read([&](SqlConnection& sql) { run = select_run(sql, job, id); });
    return run;
  });
}

Result<std::vector<Run>> SqlStore::list_runs(std::string_view job, const RunQuery& query) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->read([&](SqlConnection& sql) {
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
      auto sql_text = fmt::format("{}{} ORDER BY r.id DESC LIMIT ${}", k_run_select, where,
                                  params.size());
      for (const auto& row : sql.query(sql_text, params)) {
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

Result<bool> SqlStore::put_secret(std::string_view job, std::string_view name,
                                  std::string_view sealed_value, std::int64_t now_ms) {
  return guarded<bool>([&] {
    bool created = false;
    m_db->transact([&](SqlConnection& sql) {
      auto id = number(job_id(sql, job));
      auto existing = sql.query("SELECT 1 FROM secrets WHERE job_id = $1 AND name = $2",
                                {id, text(name)});
      created = existing.empty();
      sql.query("INSERT INTO secrets (job_id, name, sealed_value, updated_at) VALUES ($1, $2, $3, "
                "$4) ON CONFLICT (job_id, name) DO UPDATE SET sealed_value = excluded.sealed_value, "
                "updated_at = excluded.updated_at",
                {id, text(name), text(sealed_value), number(now_ms)});
    });
    return created;
  });
}

Result<std::vector<SecretInfo>> SqlStore::list_secrets(std::string_view job) {
  return guarded<std::vector<SecretInfo>>([&] {
    std::vector<SecretInfo> secrets;
    m_db->read([&](SqlConnection& sql) {
      auto id = number(job_id(sql, job));
      for (const auto& row : sql.query("SELECT name, updated_at FROM secrets WHERE job_id = $1 "
                                       "ORDER BY name",
                                       {id})) {
        secrets.push_back(SecretInfo{row[0].value_or(""), to_int(row[1])});
      }
    });
    return secrets;
  });
}

Result<void> SqlStore::delete_secret(std::string_view job, std::string_view name) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      auto id = number(job_id(sql, job));
      auto deleted = sql.query("DELETE FROM secrets WHERE job_id = $1 AND name = $2 RETURNING name",
                               {id, text(name)});
      if (deleted.empty()) {
        fail(ErrorCode::not_found, fmt::format("job '{}' has no secret named '{}'", job, name));
      }
    });
  });
}

Result<std::string> SqlStore::pin_setting(std::string_view key, std::string_view value) {
  return guarded<std::string>([&] {
    std::string stored;
    m_db->transact([&](SqlConnection& sql) {
      sql.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                {text(key), text(value)});
      stored = sql.query("SELECT value FROM settings WHERE key = $1", {text(key)})[0][0].value_or("");
    });
    return stored;
  });
}

} // namespace cicd::store

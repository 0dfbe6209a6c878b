// SqlStore: jobs, secrets and settings.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include "cicd/crypto/random.hpp"

namespace cicd::store {

using namespace sql;
using model::Run;
using model::RunStatus;

Result<PutOutcome> SqlStore::put_job(const PutJobRequest& request, std::int64_t now_ms) {
  return guarded<PutOutcome>([&] {
    PutOutcome outcome = PutOutcome::created;
    m_db->transact([&](SqlConnection& sql) {
      auto rows =
          sql.query("SELECT etag FROM jobs WHERE name = $1" + std::string(m_db->lock_clause()),
                    {request.name});
      bool exists = !rows.empty();
      std::string current = exists ? rows[0][0].value_or("") : "";
      if (request.if_match &&
          (!exists || (*request.if_match != "*" && *request.if_match != current))) {
        fail(ErrorCode::precondition_failed,
             exists
                 ? fmt::format("job '{}' changed since you read it (If-Match {} is not the "
                               "current ETag): GET it again and reapply your change",
                               request.name, *request.if_match)
                 : fmt::format("job '{}' does not exist, so If-Match cannot match", request.name));
      }
      if (request.if_none_match_any && exists) {
        fail(ErrorCode::precondition_failed,
             fmt::format("job '{}' already exists (If-None-Match: *)", request.name));
      }
      if (!exists) {
        auto inserted =
            sql.query("INSERT INTO jobs (name, definition, etag, created_at, updated_at) "
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
    m_db->autocommit([&](SqlConnection& sql) {
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
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row : sql.query("SELECT name, definition, etag, created_at, updated_at "
                                       "FROM jobs WHERE name > $1 ORDER BY name LIMIT $2",
                                       {text(after_name), number(limit)})) {
        jobs.push_back(to_job(row));
      }
    });
    return jobs;
  });
}

Result<void> SqlStore::delete_job(std::string_view name,
                                  const std::optional<std::string>& if_match) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      auto rows =
          sql.query("SELECT id, etag FROM jobs WHERE name = $1" + std::string(m_db->lock_clause()),
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

Result<bool> SqlStore::put_secret(std::string_view job, std::string_view name,
                                  std::string_view sealed_value, std::int64_t now_ms) {
  return guarded<bool>([&] {
    bool created = false;
    m_db->transact([&](SqlConnection& sql) {
      auto id = number(job_id(sql, job));
      auto existing =
          sql.query("SELECT 1 FROM secrets WHERE job_id = $1 AND name = $2", {id, text(name)});
      created = existing.empty();
      sql.query(
          "INSERT INTO secrets (job_id, name, sealed_value, updated_at) VALUES ($1, $2, $3, "
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
    m_db->autocommit([&](SqlConnection& sql) {
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

Result<std::vector<std::pair<std::string, std::string>>>
SqlStore::sealed_secrets(std::string_view job) {
  return guarded<std::vector<std::pair<std::string, std::string>>>([&] {
    std::vector<std::pair<std::string, std::string>> secrets;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row :
           sql.query("SELECT s.name, s.sealed_value FROM secrets s JOIN jobs j ON "
                     "j.id = s.job_id WHERE j.name = $1 ORDER BY s.name",
                     {text(job)})) {
        auto sealed = crypto::from_hex(row[1].value_or(""));
        if (!sealed) {
          fail(ErrorCode::internal, "a stored secret is not hex: the database was altered");
        }
        secrets.emplace_back(row[0].value_or(""), std::move(*sealed));
      }
    });
    return secrets;
  });
}

Result<std::optional<std::string>> SqlStore::get_setting(std::string_view key) {
  return guarded<std::optional<std::string>>([&] {
    std::optional<std::string> value;
    m_db->autocommit([&](SqlConnection& sql) {
      auto rows = sql.query("SELECT value FROM settings WHERE key = $1", {text(key)});
      if (!rows.empty()) {
        value = rows[0][0];
      }
    });
    return value;
  });
}

Result<void> SqlStore::put_setting(std::string_view key, std::string_view value) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      sql.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value",
                {text(key), text(value)});
    });
  });
}

Result<std::string> SqlStore::pin_setting(std::string_view key, std::string_view value) {
  return guarded<std::string>([&] {
    std::string stored;
    m_db->transact([&](SqlConnection& sql) {
      sql.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                {text(key), text(value)});
      stored =
          sql.query("SELECT value FROM settings WHERE key = $1", {text(key)})[0][0].value_or("");
    });
    return stored;
  });
}

} // namespace cicd::store

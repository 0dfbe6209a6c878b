// SqlStore: SSH deploy keys of git jobs and the host keys of git servers (trusted on first use).
#include "sql_store.hpp"

#include "sql_helpers.hpp"

namespace cicd::store {

using namespace sql;

Result<void> SqlStore::put_ssh_key(std::string_view job, const SshKey& key) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      sql.query("INSERT INTO job_ssh_keys (job_id, public_key, sealed_private_key, created_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO UPDATE SET public_key = "
                "excluded.public_key, sealed_private_key = excluded.sealed_private_key, "
                "created_at = excluded.created_at",
                {number(job_id(sql, job)), text(key.public_key), text(key.sealed_private_key),
                 number(key.created_at_ms)});
    });
  });
}

Result<std::optional<SshKey>> SqlStore::get_ssh_key(std::string_view job) {
  return guarded<std::optional<SshKey>>([&] {
    std::optional<SshKey> key;
    m_db->autocommit([&](SqlConnection& sql) {
      auto rows = sql.query("SELECT public_key, sealed_private_key, created_at FROM job_ssh_keys "
                            "WHERE job_id = $1",
                            {number(job_id(sql, job))});
      if (!rows.empty()) {
        key = SshKey{rows[0][0].value_or(""), rows[0][1].value_or(""), to_int(rows[0][2])};
      }
    });
    return key;
  });
}

Result<void> SqlStore::delete_ssh_key(std::string_view job) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      auto deleted = sql.query("DELETE FROM job_ssh_keys WHERE job_id = $1 RETURNING job_id",
                               {number(job_id(sql, job))});
      if (deleted.empty()) {
        fail(ErrorCode::not_found, fmt::format("job '{}' has no SSH deploy key", job));
      }
    });
  });
}

Result<std::string> SqlStore::pin_ssh_host_key(std::string_view host, std::string_view fingerprint,
                                               std::int64_t now_ms) {
  return guarded<std::string>([&] {
    std::string pinned;
    m_db->transact([&](SqlConnection& sql) {
      sql.query("INSERT INTO ssh_host_keys (host, fingerprint, first_seen_at) VALUES ($1, $2, "
                "$3) ON CONFLICT (host) DO NOTHING",
                {text(host), text(fingerprint), number(now_ms)});
      auto rows = sql.query("SELECT fingerprint FROM ssh_host_keys WHERE host = $1", {text(host)});
      pinned = rows.at(0)[0].value_or("");
    });
    return pinned;
  });
}

Result<std::vector<SshHostKey>> SqlStore::list_ssh_host_keys() {
  return guarded<std::vector<SshHostKey>>([&] {
    std::vector<SshHostKey> keys;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row : sql.query(
               "SELECT host, fingerprint, first_seen_at FROM ssh_host_keys ORDER BY host", {})) {
        keys.push_back(SshHostKey{row[0].value_or(""), row[1].value_or(""), to_int(row[2])});
      }
    });
    return keys;
  });
}

Result<void> SqlStore::forget_ssh_host_key(std::string_view host) {
  return guarded<void>([&] {
    m_db->transact([&](SqlConnection& sql) {
      if (sql.query("DELETE FROM ssh_host_keys WHERE host = $1 RETURNING host", {text(host)})
              .empty()) {
        fail(ErrorCode::not_found, fmt::format("no SSH host key is pinned for {}", host));
      }
    });
  });
}

} // namespace cicd::store

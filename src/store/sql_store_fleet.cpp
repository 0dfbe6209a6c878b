// Agents, the periodic duties and what the sweeper decides.
#include "sql_store.hpp"

#include "sql_helpers.hpp"

namespace cicd::store {

using namespace sql;
using model::Run;

namespace {

std::string join_classes(const std::vector<std::string>& classes) {
  std::string joined;
  for (const auto& name : classes) {
    joined += (joined.empty() ? "" : ",") + name;
  }
  return joined;
}

std::vector<std::string> split_classes(const std::string& joined) {
  std::vector<std::string> classes;
  std::size_t start = 0;
  while (start < joined.size()) {
    auto end = joined.find(',', start);
    end = end == std::string::npos ? joined.size() : end;
    classes.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return classes;
}

constexpr std::string_view k_agent_select =
    "SELECT id, host, version, slots, running, resource_classes, draining, started_at, "
    "last_heartbeat_at FROM agents ";

AgentInfo to_agent(const SqlRow& row) {
  AgentInfo agent;
  agent.id = row[0].value_or("");
  agent.host = row[1].value_or("");
  agent.version = row[2].value_or("");
  agent.slots = static_cast<int>(to_int(row[3]));
  agent.running = static_cast<int>(to_int(row[4]));
  agent.resource_classes = split_classes(row[5].value_or(""));
  agent.draining = to_int(row[6]) != 0;
  agent.started_at_ms = to_int(row[7]);
  agent.last_heartbeat_ms = to_int(row[8]);
  return agent;
}

} // namespace

Result<void> SqlStore::register_agent(const AgentInfo& agent) {
  return guarded<void>([&] {
    m_db->autocommit([&](SqlConnection& sql) {
      sql.query("INSERT INTO agents (id, host, version, slots, running, resource_classes, "
                "draining, started_at, last_heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, "
                "$7) ON CONFLICT (id) DO UPDATE SET host = excluded.host, version = "
                "excluded.version, slots = excluded.slots, running = excluded.running, "
                "resource_classes = excluded.resource_classes, draining = 0, started_at = "
                "excluded.started_at, last_heartbeat_at = excluded.last_heartbeat_at",
                {agent.id, agent.host, agent.version, number(agent.slots), number(agent.running),
                 join_classes(agent.resource_classes), number(agent.started_at_ms)});
    });
  });
}

Result<bool> SqlStore::heartbeat_agent(std::string_view id, int running, std::int64_t now_ms) {
  return guarded<bool>([&] {
    bool draining = false;
    m_db->autocommit([&](SqlConnection& sql) {
      auto rows = sql.query("UPDATE agents SET running = $2, last_heartbeat_at = $3 WHERE id = "
                            "$1 RETURNING draining",
                            {text(id), number(running), number(now_ms)});
      if (rows.empty()) {
        fail(ErrorCode::not_found, fmt::format("agent {} is not registered", id));
      }
      draining = to_int(rows[0][0]) != 0;
    });
    return draining;
  });
}

Result<void> SqlStore::deregister_agent(std::string_view id) {
  return guarded<void>([&] {
    m_db->autocommit(
        [&](SqlConnection& sql) { sql.query("DELETE FROM agents WHERE id = $1", {text(id)}); });
  });
}

Result<std::vector<AgentInfo>> SqlStore::list_agents() {
  return guarded<std::vector<AgentInfo>>([&] {
    std::vector<AgentInfo> agents;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row : sql.query(std::string(k_agent_select) + "ORDER BY id", {})) {
        agents.push_back(to_agent(row));
      }
    });
    return agents;
  });
}

Result<AgentInfo> SqlStore::drain_agent(std::string_view id) {
  return guarded<AgentInfo>([&] {
    AgentInfo agent;
    m_db->autocommit([&](SqlConnection& sql) {
      auto rows = sql.query("UPDATE agents SET draining = 1 WHERE id = $1 RETURNING id, host, "
                            "version, slots, running, resource_classes, draining, started_at, "
                            "last_heartbeat_at",
                            {text(id)});
      if (rows.empty()) {
        fail(ErrorCode::not_found, fmt::format("there is no agent '{}'", id));
      }
      agent = to_agent(rows[0]);
    });
    return agent;
  });
}

Result<std::vector<std::string>> SqlStore::remove_silent_agents(std::int64_t silent_since_ms) {
  return guarded<std::vector<std::string>>([&] {
    std::vector<std::string> ids;
    m_db->autocommit([&](SqlConnection& sql) {
      for (const auto& row : sql.query("DELETE FROM agents WHERE last_heartbeat_at < $1 "
                                       "RETURNING id",
                                       {number(silent_since_ms)})) {
        ids.push_back(row[0].value_or(""));
      }
    });
    return ids;
  });
}

Result<bool> SqlStore::take_duty(std::string_view name, std::string_view holder,
                                 std::int64_t now_ms, std::int64_t expires_ms) {
  return guarded<bool>([&] {
    bool taken = false;
    m_db->autocommit([&](SqlConnection& sql) {
      // One statement: the row is created, renewed by its holder, or taken over once expired.
      taken = !sql.query("INSERT INTO duties (name, holder, expires_at) VALUES ($1, $2, $4) "
                         "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at "
                         "= excluded.expires_at WHERE duties.holder = excluded.holder OR "
                         "duties.expires_at < $3 RETURNING holder",
                         {text(name), text(holder), number(now_ms), number(expires_ms)})
                   .empty();
    });
    return taken;
  });
}

Result<std::vector<Run>> SqlStore::expire_leases(std::int64_t now_ms) {
  return guarded<std::vector<Run>>([&] {
    std::vector<Run> runs;
    m_db->transact([&](SqlConnection& sql) {
      auto expired = sql.query(
          "UPDATE runs SET status = 'errored', finished_at = $1, reason = 'agent lost: ' || "
          "COALESCE(agent, 'unknown') || ' stopped renewing its lease on the run' WHERE status = "
          "'running' AND lease_expires_at < $1 RETURNING id",
          {number(now_ms)});
      for (const auto& row : expired) {
        auto rows = sql.query(std::string(k_run_select) + "WHERE r.id = $1", {row[0]});
        if (!rows.empty()) {
          runs.push_back(to_run(rows[0]));
        }
      }
    });
    return runs;
  });
}

Result<Run> SqlStore::create_retry(const Run& original, std::int64_t now_ms) {
  return guarded<Run>([&] {
    Run run;
    m_db->transact([&](SqlConnection& sql) {
      auto rows = sql.query(
          "INSERT INTO runs (job_id, status, trigger_kind, commit_sha, branch_name, "
          "triggered_by, rerun_of, retry_of, parameters, resource_class, queued_at, "
          "resolved_commit, config) SELECT job_id, 'queued', 'retry', commit_sha, branch_name, "
          "triggered_by, NULL, id, parameters, resource_class, $2, resolved_commit, config "
          "FROM runs WHERE id = $1 RETURNING id",
          {number(original.id), number(now_ms)});
      if (rows.empty()) {
        fail(ErrorCode::not_found, fmt::format("run {} is gone", original.id));
      }
      run = select_run(sql, original.job, to_int(rows[0][0]));
    });
    return run;
  });
}

} // namespace cicd::store

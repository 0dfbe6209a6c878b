#pragma once
// The Store written once over SqlDatabase, for both SQLite and PostgreSQL.

#include "cicd/store/store.hpp"

#include "sql_database.hpp"

namespace cicd::store {

// Thread safety: as safe as its SqlDatabase (both backends allow concurrent calls).
class SqlStore final : public Store {
public:
  explicit SqlStore(std::unique_ptr<SqlDatabase> database) : m_db(std::move(database)) {}

  Result<PutOutcome> put_job(const PutJobRequest& request, std::int64_t now_ms) override;
  Result<StoredJob> get_job(std::string_view name) override;
  Result<std::vector<StoredJob>> list_jobs(std::string_view after_name, int limit) override;
  Result<void> delete_job(std::string_view name,
                          const std::optional<std::string>& if_match) override;

  Result<CreatedRun> create_run(const NewRun& run, std::int64_t now_ms) override;
  Result<model::Run> get_run(std::string_view job, std::int64_t id) override;
  Result<std::vector<model::Run>> list_runs(std::string_view job, const RunQuery& query) override;
  Result<std::vector<model::Run>> last_runs(std::string_view first_name,
                                            std::string_view last_name) override;
  Result<model::Run> abort_run(std::string_view job, std::int64_t id, std::string_view by,
                               std::int64_t now_ms) override;

  Result<bool> put_secret(std::string_view job, std::string_view name,
                          std::string_view sealed_value, std::int64_t now_ms) override;
  Result<std::vector<SecretInfo>> list_secrets(std::string_view job) override;
  Result<void> delete_secret(std::string_view job, std::string_view name) override;
  Result<void> put_ssh_key(std::string_view job, const SshKey& key) override;
  Result<std::optional<SshKey>> get_ssh_key(std::string_view job) override;
  Result<void> delete_ssh_key(std::string_view job) override;
  Result<std::string> pin_ssh_host_key(std::string_view host, std::string_view fingerprint,
                                       std::int64_t now_ms) override;
  Result<std::vector<SshHostKey>> list_ssh_host_keys() override;
  Result<void> forget_ssh_host_key(std::string_view host) override;

  Result<std::optional<model::Run>> claim_run(std::int64_t id, std::string_view agent,
                                              std::string_view lease, std::int64_t now_ms,
                                              std::int64_t lease_expires_ms) override;
  Result<LeaseStatus> renew_lease(std::int64_t id, std::string_view lease,
                                  std::int64_t lease_expires_ms) override;
  Result<void> append_console(std::int64_t id, std::string_view lease, std::int64_t seq,
                              std::int64_t byte_offset, std::string_view content) override;
  Result<void> record_result(std::int64_t id, std::string_view lease, const ResultInfo& result,
                             std::int64_t now_ms) override;
  Result<void> finish_run(std::int64_t id, std::string_view lease, model::RunStatus status,
                          std::optional<std::int64_t> exit_code, std::string_view reason,
                          bool console_stored, std::int64_t now_ms) override;
  Result<std::vector<std::pair<std::string, std::string>>>
  sealed_secrets(std::string_view job) override;
  Result<std::vector<model::Run>> queued_runs(std::int64_t queued_before_ms, int limit) override;
  Result<void> register_agent(const AgentInfo& agent) override;
  Result<bool> heartbeat_agent(std::string_view id, int running, std::int64_t now_ms) override;
  Result<void> deregister_agent(std::string_view id) override;
  Result<std::vector<AgentInfo>> list_agents() override;
  Result<AgentInfo> drain_agent(std::string_view id) override;
  Result<std::vector<std::string>> remove_silent_agents(std::int64_t silent_since_ms) override;
  Result<bool> take_duty(std::string_view name, std::string_view holder, std::int64_t now_ms,
                         std::int64_t expires_ms) override;
  Result<std::vector<model::Run>> expire_leases(std::int64_t now_ms) override;
  Result<model::Run> create_retry(const model::Run& original, std::int64_t now_ms) override;
  Result<int> fail_runs_of_agent(std::string_view agent, std::string_view reason,
                                 std::int64_t now_ms) override;
  Result<std::vector<ConsoleChunk>> read_console(std::int64_t id, std::int64_t from_offset,
                                                 int max_chunks) override;
  Result<std::vector<ResultInfo>> list_results(std::int64_t id) override;
  Result<void> mark_console_truncated(std::int64_t id, std::string_view lease) override;
  Result<std::vector<std::int64_t>>
  expire_results(std::string_view job, std::int64_t finished_before_ms, int limit) override;
  Result<std::vector<std::int64_t>> results_to_purge(int limit) override;
  Result<void> mark_results_purged(std::int64_t id) override;
  Result<RunStatistics>
  run_statistics(const std::vector<std::int64_t>& run_time_bounds_ms,
                 const std::vector<std::int64_t>& queue_wait_bounds_ms) override;
  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<void> put_setting(std::string_view key, std::string_view value) override;
  Result<std::vector<std::pair<std::string, std::string>>>
  list_settings(std::string_view prefix) override;
  Result<bool> delete_setting(std::string_view key) override;

  Result<std::string> pin_setting(std::string_view key, std::string_view value) override;

  Result<HookRuns> create_hook_runs(const HookDelivery& delivery, const std::vector<NewRun>& runs,
                                    std::int64_t now_ms) override;
  Result<std::vector<model::Run>> status_reports_due(std::int64_t now_ms, int limit) override;
  Result<bool> claim_status_report(std::int64_t id, std::int64_t now_ms,
                                   std::int64_t claimed_until_ms) override;
  Result<void> record_status_report(std::int64_t id, const StatusReportOutcome& outcome) override;

private:
  std::unique_ptr<SqlDatabase> m_db;
};

} // namespace cicd::store

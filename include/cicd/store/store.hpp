#pragma once
// The database: jobs, runs, idempotency keys, secrets. One interface, two backends chosen by
// URL: sqlite:///path/cicd.db (standalone) and postgresql://… (distributed).
//
// Contract (tested by the same suite against both backends, test/integration/store_test.cpp):
// - Every method that changes something is one transaction: it happens completely or not at
//   all. Reads see committed data only.
// - Methods may be called concurrently from any thread.
// - Failures are values: not_found, conflict, precondition_failed, unprocessable for what the
//   caller asked; unavailable when the database cannot be reached (retrying later may work).
// - Times are milliseconds since the epoch, passed in by the caller.

#include "cicd/core/error.hpp"
#include "cicd/model/run.hpp"
#include "cicd/results/junit_summary.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::store {

struct StoredJob {
  std::string name;
  std::string definition_json; // canonical JSON (model::to_canonical_json)
  std::string etag;            // changes exactly when definition_json changes
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

enum class PutOutcome { created, updated, unchanged };

struct PutJobRequest {
  std::string name;
  std::string definition_json;
  std::string etag;
  std::optional<std::string> if_match; // must equal the stored etag ("*": must exist)
  bool if_none_match_any = false;      // "If-None-Match: *": only create
};

struct SshKey {
  std::string public_key;         // "ssh-ed25519 AAAA… comment"
  std::string sealed_private_key; // sealed by crypto::SecretBox, never served
  std::int64_t created_at_ms = 0;
};

struct SshHostKey {
  std::string host; // "name:port"
  std::string fingerprint;
  std::int64_t first_seen_at_ms = 0;
};

struct NewRun {
  std::string job;
  model::Trigger trigger;
  std::string parameters_json = "{}";
  std::string resource_class = "default";
  std::string commit_sha;  // git jobs: the resolved commit (model::Run::commit_sha)
  std::string config_json; // git jobs: the parsed config file (model::Run::config_json)
  // When set, a second create_run with the same key for the same job returns the first run;
  // with a different fingerprint (another request body) it is unprocessable.
  std::string idempotency_key;
  std::string request_fingerprint;
};

struct CreatedRun {
  model::Run run;
  bool replayed = false; // an earlier run returned for the same idempotency key
};

struct RunQuery {
  std::optional<model::RunStatus> status;
  std::optional<std::int64_t> before_id; // keyset cursor: runs with id < before_id
  int limit = 50;                        // newest first
};

using results::JunitSummary;

struct ResultInfo {
  std::string name; // "console", "junit", "services/db.log", …
  std::string content_type;
  std::int64_t size = 0;
  std::optional<JunitSummary> junit;
};

// An agent as it registered and last reported.
struct AgentInfo {
  std::string id;
  std::string host;
  std::string version;
  int slots = 0;
  int running = 0;
  std::vector<std::string> resource_classes;
  bool draining = false;
  std::int64_t started_at_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
};

// What an agent learns when it renews its lease.
struct LeaseStatus {
  bool abort_requested = false;
  std::string abort_reason; // "aborted by <subject>"
};

struct ConsoleChunk {
  std::int64_t seq = 0;
  std::int64_t byte_offset = 0; // position of the chunk's first byte in the whole console
  std::string content;
};

// How many durations fell at or below each bound, for a Prometheus histogram.
struct DurationCounts {
  std::vector<std::int64_t> bounds_ms;   // the upper bounds asked for, ascending
  std::vector<std::int64_t> at_or_below; // per bound: how many durations are ≤ it (cumulative)
  std::int64_t count = 0;                // all durations counted
  std::int64_t sum_ms = 0;
};

// The runs of every job as they are now, for metrics.
struct RunStatistics {
  std::map<model::RunStatus, std::int64_t> by_status; // statuses without runs are absent
  std::map<std::string, std::int64_t> queued_by_class;
  DurationCounts run_time;   // startedAt → finishedAt of the finished runs that started
  DurationCounts queue_wait; // queuedAt → startedAt of the runs that started
};

// A forge's delivery of a hook (GitHub's X-GitHub-Delivery, GitLab's X-Gitlab-Event-UUID).
struct HookDelivery {
  std::string forge;
  std::string connection;
  std::string id;
};

struct HookRuns {
  std::vector<model::Run> runs;
  bool replayed = false; // the delivery was recorded before: these are the runs it started then
};

// What became of one attempt to report a hook-triggered run's status to its forge.
struct StatusReportOutcome {
  // Delivered, or refused for good: the report of this run status is done (`state` is what
  // was sent, `error` why the forge refused it, empty when it took it).
  // Failed for now (reported_status nullopt): attempts + 1 and next_attempt_ms.
  std::optional<model::RunStatus> reported_status;
  std::string state;
  std::string error;
  std::int64_t next_attempt_ms = 0;
};

struct SecretInfo {
  std::string name;
  std::int64_t updated_at_ms = 0;
};

class Store {
public:
  virtual ~Store() = default;

  // Creates or replaces a job. precondition_failed when if_match / if_none_match_any fail.
  virtual Result<PutOutcome> put_job(const PutJobRequest& request, std::int64_t now_ms) = 0;
  virtual Result<StoredJob> get_job(std::string_view name) = 0;
  // Jobs ordered by name, those after `after_name` (empty: from the start), at most `limit`.
  virtual Result<std::vector<StoredJob>> list_jobs(std::string_view after_name, int limit) = 0;
  // Deletes a job with its runs and secrets. conflict while one of its runs is queued or
  // running; precondition_failed when if_match is set and differs.
  virtual Result<void> delete_job(std::string_view name,
                                  const std::optional<std::string>& if_match) = 0;

  // Records a queued run. not_found when the job does not exist.
  virtual Result<CreatedRun> create_run(const NewRun& run, std::int64_t now_ms) = 0;
  // not_found when the run does not exist or belongs to another job.
  virtual Result<model::Run> get_run(std::string_view job, std::int64_t id) = 0;
  // not_found when the job does not exist.
  virtual Result<std::vector<model::Run>> list_runs(std::string_view job,
                                                    const RunQuery& query) = 0;
  // The newest run of each job whose name is between first_name and last_name (both
  // included), ordered by job name; jobs that never ran have none. One query for a page of jobs.
  virtual Result<std::vector<model::Run>> last_runs(std::string_view first_name,
                                                    std::string_view last_name) = 0;
  // A queued run becomes aborted at once; a running one gets abort_requested (its agent stops
  // it); a finished one is a conflict. Returns the run after the change.
  virtual Result<model::Run> abort_run(std::string_view job, std::int64_t id, std::string_view by,
                                       std::int64_t now_ms) = 0;

  // Stores an already sealed secret value. Returns true when it was created, false when
  // replaced. not_found when the job does not exist.
  virtual Result<bool> put_secret(std::string_view job, std::string_view name,
                                  std::string_view sealed_value, std::int64_t now_ms) = 0;
  virtual Result<std::vector<SecretInfo>> list_secrets(std::string_view job) = 0;
  virtual Result<void> delete_secret(std::string_view job, std::string_view name) = 0;

  // The job's SSH deploy key (one per job; a new one replaces the old). not_found when the
  // job does not exist; get returns nullopt when it has no key.
  virtual Result<void> put_ssh_key(std::string_view job, const SshKey& key) = 0;
  virtual Result<std::optional<SshKey>> get_ssh_key(std::string_view job) = 0;
  virtual Result<void> delete_ssh_key(std::string_view job) = 0;

  // SSH host keys trusted on first use: records `fingerprint` for `host` ("name:port") unless
  // one is already pinned, and returns the pinned one (the caller compares).
  virtual Result<std::string> pin_ssh_host_key(std::string_view host, std::string_view fingerprint,
                                               std::int64_t now_ms) = 0;
  // The pinned host keys, by host; forgetting one lets the next contact pin the key it shows
  // (not_found when none is pinned for `host`).
  virtual Result<std::vector<SshHostKey>> list_ssh_host_keys() = 0;
  virtual Result<void> forget_ssh_host_key(std::string_view host) = 0;

  // --- What agents write. Every write after the claim is a compare-and-set on the run id
  // and the claim's lease: it is refused (ErrorCode::conflict) once the run is no longer
  // running under that lease, so a run decided by someone else is never overwritten.

  // queued → running for `agent` with `lease`, valid until lease_expires_ms. Returns nullopt
  // when the run is not queued any more (taken, aborted, or gone): the caller drops it.
  virtual Result<std::optional<model::Run>> claim_run(std::int64_t id, std::string_view agent,
                                                      std::string_view lease, std::int64_t now_ms,
                                                      std::int64_t lease_expires_ms) = 0;
  // Extends the lease and reports whether an abort was requested.
  virtual Result<LeaseStatus> renew_lease(std::int64_t id, std::string_view lease,
                                          std::int64_t lease_expires_ms) = 0;
  // Appends console chunk `seq` (0, 1, 2, …). Appending a seq that is already stored is a
  // no-op, so a retried append is harmless.
  virtual Result<void> append_console(std::int64_t id, std::string_view lease, std::int64_t seq,
                                      std::int64_t byte_offset, std::string_view content) = 0;
  virtual Result<void> record_result(std::int64_t id, std::string_view lease,
                                     const ResultInfo& result, std::int64_t now_ms) = 0;
  // Records that the console reached the log limit (the run's document says so from now on).
  virtual Result<void> mark_console_truncated(std::int64_t id, std::string_view lease) = 0;
  // running → status (terminal), with the exit code when there is one and the reason when it
  // errored or was aborted. Deletes the console chunks when `console_stored` (the whole log
  // is then in the result store).
  virtual Result<void> finish_run(std::int64_t id, std::string_view lease, model::RunStatus status,
                                  std::optional<std::int64_t> exit_code, std::string_view reason,
                                  bool console_stored, std::int64_t now_ms) = 0;
  // Runs queued before `queued_before_ms` and still queued, oldest first (to publish them
  // again after a restart of the in-process queue, or when the broker lost them).
  virtual Result<std::vector<model::Run>> queued_runs(std::int64_t queued_before_ms, int limit) = 0;
  // Runs left running by `agent` (which restarted): they become errored with `reason`.
  // Returns how many.
  virtual Result<int> fail_runs_of_agent(std::string_view agent, std::string_view reason,
                                         std::int64_t now_ms) = 0;
  // --- Agents and the sweeper.
  // Registers the agent, or registers it again after a restart (draining is cleared).
  virtual Result<void> register_agent(const AgentInfo& agent) = 0;
  // Records a heartbeat with the number of runs in hand; returns whether a drain was asked.
  // not_found when the agent is not registered (removed as silent): it registers again.
  virtual Result<bool> heartbeat_agent(std::string_view id, int running, std::int64_t now_ms) = 0;
  virtual Result<void> deregister_agent(std::string_view id) = 0;
  // Agents by id.
  virtual Result<std::vector<AgentInfo>> list_agents() = 0;
  // Asks the agent to finish its runs and take no more; not_found when unknown.
  virtual Result<AgentInfo> drain_agent(std::string_view id) = 0;
  // Agents silent since before `silent_since_ms` are removed (their runs are decided by
  // lease expiry); returns their ids.
  virtual Result<std::vector<std::string>> remove_silent_agents(std::int64_t silent_since_ms) = 0;
  // Takes (or keeps) the periodic duty `name` for `holder` until `expires_ms`, unless another
  // holder's lease is still valid at `now_ms`. Returns whether `holder` has it.
  virtual Result<bool> take_duty(std::string_view name, std::string_view holder,
                                 std::int64_t now_ms, std::int64_t expires_ms) = 0;
  // Runs still running with a lease expired before `now_ms` become errored, reason "agent
  // lost: …" naming the agent. Returns them as they are now.
  virtual Result<std::vector<model::Run>> expire_leases(std::int64_t now_ms) = 0;
  // A new queued run repeating `original` (same job, revision, parameters and class), with
  // retry_of set; the caller publishes it.
  virtual Result<model::Run> create_retry(const model::Run& original, std::int64_t now_ms) = 0;

  // --- Retention, in two steps so that a run's results are never half there: first the
  // results of finished runs of `job` that ended before `finished_before_ms` expire (the run
  // says resultsExpired and lists none; at most `limit` runs, returned), then the sweeper
  // deletes their objects and marks them purged. A crash in between leaves them to purge.
  virtual Result<std::vector<std::int64_t>>
  expire_results(std::string_view job, std::int64_t finished_before_ms, int limit) = 0;
  // Runs whose results expired and whose objects are not deleted yet.
  virtual Result<std::vector<std::int64_t>> results_to_purge(int limit) = 0;
  virtual Result<void> mark_results_purged(std::int64_t id) = 0;

  // The sealed values of the job's secrets, by name.
  virtual Result<std::vector<std::pair<std::string, std::string>>>
  sealed_secrets(std::string_view job) = 0;

  // --- Reads for the API.
  // Counts over the runs of every job, for metrics: two aggregate queries, each a pass over
  // the runs table, not one snapshot (a run may change between them). The bounds must be
  // ascending; a duration equal to a bound counts as at or below it.
  virtual Result<RunStatistics>
  run_statistics(const std::vector<std::int64_t>& run_time_bounds_ms,
                 const std::vector<std::int64_t>& queue_wait_bounds_ms) = 0;
  // Chunks starting at or after byte `from_offset` (the chunk containing it included), in
  // order, at most `max_chunks`.
  virtual Result<std::vector<ConsoleChunk>> read_console(std::int64_t id, std::int64_t from_offset,
                                                         int max_chunks) = 0;
  virtual Result<std::vector<ResultInfo>> list_results(std::int64_t id) = 0;

  // A global setting (e.g. "umbrella_timeout"); nullopt when unset.
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  virtual Result<void> put_setting(std::string_view key, std::string_view value) = 0;
  // The settings whose key starts with `prefix` ("resource_class/"), as (key, value) pairs in
  // byte order of the key.
  virtual Result<std::vector<std::pair<std::string, std::string>>>
  list_settings(std::string_view prefix) = 0;
  // Deletes a setting; returns whether it was there.
  virtual Result<bool> delete_setting(std::string_view key) = 0;

  // --- Hooks (forge pull requests and pushes).
  // Records a delivery and the queued runs it starts (each NewRun's trigger.hook set), all in
  // one transaction. A delivery recorded before starts nothing: the runs it started then are
  // returned with `replayed`. Runs of jobs deleted meanwhile are left out.
  virtual Result<HookRuns> create_hook_runs(const HookDelivery& delivery,
                                            const std::vector<NewRun>& runs,
                                            std::int64_t now_ms) = 0;
  // Hook-triggered runs whose status changed since it was last reported, whose next attempt
  // is due at `now_ms` and that no reporter holds, oldest first.
  virtual Result<std::vector<model::Run>> status_reports_due(std::int64_t now_ms, int limit) = 0;
  // Claims the report of run `id` until `claimed_until_ms` unless another reporter holds it
  // (a conditional update): returns whether this caller has it.
  virtual Result<bool> claim_status_report(std::int64_t id, std::int64_t now_ms,
                                           std::int64_t claimed_until_ms) = 0;
  // Records the outcome of a claimed report and releases the claim. Never changes the run.
  virtual Result<void> record_status_report(std::int64_t id,
                                            const StatusReportOutcome& outcome) = 0;

  // Sets a setting once: returns the stored value, which is `value` unless one was there.
  // Used to pin the secrets key fingerprint to the database.
  virtual Result<std::string> pin_setting(std::string_view key, std::string_view value) = 0;
};

// Opens the store the URL names and applies pending migrations.
// Throws Fatal when the URL is malformed or the database cannot be opened or migrated.
std::unique_ptr<Store> open_store(const std::string& url);

} // namespace cicd::store

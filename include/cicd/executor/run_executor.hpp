#pragma once
// Executes one claimed run in Docker, following "A run on the agent" in DESIGN.md: private
// network, sidecars, the job container, the console (masked, chunked into the store), the
// timeout and abort, results, and clean-up of everything labelled for the run.

#include "cicd/crypto/secret_box.hpp"
#include "cicd/docker/client.hpp"
#include "cicd/executor/cancel_signal.hpp"
#include "cicd/model/job.hpp"
#include "cicd/model/resource_class.hpp"
#include "cicd/model/run.hpp"
#include "cicd/results/result_store.hpp"
#include "cicd/store/store.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace cicd::executor {

struct ExecutorOptions {
  std::string agent_id;
  std::filesystem::path work_dir;              // per-run temp dirs go below
  std::chrono::seconds umbrella_timeout{3600}; // caps every job's timeout unless the
                                               // "umbrella_timeout" setting says otherwise
  std::chrono::seconds grace{10};              // SIGTERM → SIGKILL
  std::chrono::seconds sidecar_ready_timeout{60};
  std::chrono::seconds pull_timeout{600};   // also of a push to the registry
  std::chrono::seconds build_timeout{3600}; // an image build from the repository's Dockerfile
  // "host:port" of a Docker registry the agents share built images through; empty: none.
  std::string registry;
  std::chrono::milliseconds heartbeat{1000}; // lease renewal and abort check
  std::chrono::seconds lease_length{60};
  std::int64_t pids_limit = 4096;
};

struct Outcome {
  model::RunStatus status = model::RunStatus::errored;
  std::optional<std::int64_t> exit_code;
  std::string reason;
  // Errored because of the machinery (Docker or the store unreachable, the agent's disk
  // full), not because of anything in the job: such a run may be retried.
  bool infrastructure_error = false;
  bool recorded = true; // the final status was written under this execution's lease
};

// Labels on everything created for a run.
inline constexpr const char* k_run_label = "cicd.run";
inline constexpr const char* k_agent_label = "cicd.agent";

// Thread safety: execute() may run concurrently for different runs.
class RunExecutor {
public:
  RunExecutor(docker::Client& docker, store::Store& store, results::ResultStore& results,
              const crypto::SecretBox& secret_box, ExecutorOptions options);

  // Runs `run` (claimed under `lease`) to its end and writes its final status, unless the
  // lease was lost. Always removes what it created. `cancel` may be fired from outside
  // (agent shutdown); abort requests and the timeout fire it from inside. The job container
  // gets the CPU and memory limits of `resource_class`: the definition the caller reserved
  // capacity for, so that what the container may use is what the agent counted.
  Outcome execute(const model::Run& run, const std::string& lease, CancelSignal& cancel,
                  const model::ResourceClass& resource_class);

  // Removes containers and networks labelled with this agent's id (left by a crash).
  void sweep_leftovers();

  const ExecutorOptions& options() const { return m_options; }

private:
  docker::Client& m_docker;
  store::Store& m_store;
  results::ResultStore& m_results;
  const crypto::SecretBox& m_secret_box;
  ExecutorOptions m_options;
};

} // namespace cicd::executor

#pragma once
// The steps of a run that run_executor.cpp strings together. Private to src/executor.

#include "console_writer.hpp"

#include "cicd/docker/client.hpp"
#include "cicd/executor/cancel_signal.hpp"
#include "cicd/executor/run_executor.hpp"
#include "cicd/git/repository.hpp"
#include "cicd/model/run_spec.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cicd::executor {

// Everything created in Docker for one run; removed in every outcome by cleanup().
// Thread safety: none; owned by the run's thread.
class RunResources {
public:
  explicit RunResources(docker::Client& docker) : m_docker(docker) {}
  ~RunResources() { cleanup(); }
  RunResources(const RunResources&) = delete;
  RunResources& operator=(const RunResources&) = delete;

  void add_container(std::string id) { m_containers.push_back(std::move(id)); }
  void set_network(std::string id) { m_network = std::move(id); }
  // Force-removes every container, then the network. Safe to call twice.
  void cleanup();

private:
  docker::Client& m_docker;
  std::vector<std::string> m_containers;
  std::string m_network;
};

void log_store_retry(std::string_view what, std::chrono::milliseconds pause,
                     const std::string& error);

// Retries a store call while the store is unreachable (unavailable), with back-off, for up to
// `patience` (the lease: past it, the run is no longer this agent's to decide). Any other error,
// such as conflict for a lost lease, is returned at once. `what` names it in the log.
template <typename Call>
auto retry_store(std::string_view what, std::chrono::seconds patience, const Call& call)
    -> decltype(call()) {
  auto give_up = std::chrono::steady_clock::now() + patience;
  auto pause = std::chrono::milliseconds(250);
  for (;;) {
    auto done = call();
    if (done || done.error().code != ErrorCode::unavailable ||
        std::chrono::steady_clock::now() + pause > give_up) {
      return done;
    }
    log_store_retry(what, pause, done.error().message);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(5000));
  }
}

// A write the run must not lose, retried as retry_store does.
Result<void> retry_store_write(std::string_view what, std::chrono::seconds patience,
                               const std::function<Result<void>()>& write);

std::map<std::string, std::string> run_labels(const model::Run& run, const std::string& agent_id);

// Makes sure the image is there, pulling it when it is not (given up when `cancel` fires).
// The error says which image and what Docker said.
Result<void> ensure_image(docker::Client& docker, const std::string& image,
                          std::chrono::seconds pull_timeout, ConsoleWriter& console,
                          const CancelSignal& cancel);

class ImagePreparer;

// Reads `file` piece by piece (a tar the agent wrote) as a request body.
docker::ChunkSource file_chunks(std::ifstream& file);

// Puts the tree of the run's commit into `workdir` of the (created, not started) container,
// owned by the user it runs as. The tar goes through `work_dir` and is removed.
Result<void> upload_workspace(docker::Client& docker, const std::string& container,
                              const git::RunCheckout& checkout, const std::string& workdir,
                              const std::filesystem::path& work_dir);

struct Sidecar {
  std::string name;
  std::string container_id;
};

// Starts each service on the run's network under its name (its image from `images`), and
// waits until each is ready (its port accepts connections, or its healthcheck says healthy).
// Errors name the service. `started` lists the sidecars created, also on error, so that their
// logs can be kept.
Result<void> start_sidecars(docker::Client& docker, const model::Run& run,
                            const model::RunSpec& spec, const std::string& network,
                            const ExecutorOptions& options, ImagePreparer& images,
                            RunResources& resources, ConsoleWriter& console,
                            const CancelSignal& cancel, std::vector<Sidecar>& started);

// Stores each sidecar's output, secrets masked, as the result "services/<name>.log". The
// sidecars are stopped first so that their logs end.
void store_sidecar_logs(docker::Client& docker, const std::vector<Sidecar>& sidecars,
                        store::Store& store, results::ResultStore& results, const model::Run& run,
                        const std::string& lease, const std::filesystem::path& work_dir,
                        const std::vector<std::string>& secret_values,
                        std::chrono::seconds store_patience);

// The job container's environment: the spec's env, the parameters, the secrets and the run's
// own facts (CICD_RUN_ID, CICD_JOB, CICD_COMMIT_SHA, CICD_BRANCH), one variable each.
std::vector<std::string> job_environment(const model::Run& run, const model::RunSpec& spec,
                                         const std::map<std::string, std::string>& secrets);

// Copies each declared result out of the container and stores it. A missing path is noted in
// the console; a store failure is returned (the run must not succeed without its results).
Result<void> collect_results(docker::Client& docker, const std::string& container,
                             const model::RunSpec& spec, store::Store& store,
                             results::ResultStore& results, const model::Run& run,
                             const std::string& lease, const std::filesystem::path& work_dir,
                             ConsoleWriter& console, std::chrono::seconds store_patience);

} // namespace cicd::executor

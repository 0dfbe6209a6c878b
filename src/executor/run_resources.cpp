#include "run_steps.hpp"

#include "cicd/core/log.hpp"

namespace cicd::executor {

void RunResources::cleanup() {
  for (const auto& id : m_containers) {
    auto removed = m_docker.remove_container(id, true);
    if (!removed && removed.error().code != ErrorCode::not_found) {
      log::warn("could not remove container {}: {} (the agent sweeps it at its next start)", id,
                removed.error().message);
    }
  }
  m_containers.clear();
  if (!m_network.empty()) {
    auto removed = m_docker.remove_network(m_network);
    if (!removed && removed.error().code != ErrorCode::not_found) {
      log::warn("could not remove network {}: {}", m_network, removed.error().message);
    }
    m_network.clear();
  }
}

std::map<std::string, std::string> run_labels(const model::Run& run, const std::string& agent_id) {
  return {{k_run_label, std::to_string(run.id)}, {k_agent_label, agent_id}};
}

Result<void> ensure_image(docker::Client& docker, const std::string& image,
                          std::chrono::seconds pull_timeout, ConsoleWriter& console,
                          const CancelSignal& cancel) {
  auto exists = docker.image_exists(image);
  if (!exists) {
    return exists.error();
  }
  if (*exists) {
    return {};
  }
  console.note("pulling image " + image);
  auto pulled = docker.pull_image(image, pull_timeout, [&] { return cancel.reason().has_value(); });
  if (cancel.reason()) {
    return make_error(ErrorCode::unavailable, "stopped while pulling image " + image);
  }
  if (!pulled) {
    return make_error(pulled.error().code, "image '" + image +
                                               "' is not on this agent and could not be pulled: " +
                                               pulled.error().message);
  }
  return {};
}

} // namespace cicd::executor

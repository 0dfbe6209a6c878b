#include "agent_presence.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/host.hpp"
#include "cicd/core/log.hpp"

namespace cicd::agent {

AgentPresence::AgentPresence(store::Store& store, std::string id, int slots,
                             std::vector<std::string> resource_classes,
                             std::chrono::milliseconds interval, std::function<int()> running)
    : m_store(store), m_interval(interval), m_running(std::move(running)) {
  m_info.id = std::move(id);
  m_info.host = host_name();
  m_info.version = CICD_VERSION;
  m_info.slots = slots;
  m_info.resource_classes = std::move(resource_classes);
}

AgentPresence::~AgentPresence() {
  stop();
}

void AgentPresence::start() {
  m_info.started_at_ms = now_unix_ms();
  m_info.last_heartbeat_ms = m_info.started_at_ms;
  if (auto registered = m_store.register_agent(m_info); !registered) {
    log::warn("could not register in the database yet ({}); retrying on the next heartbeat",
              registered.error().message);
  }
  m_thread = std::thread([this] {
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, m_interval, [this] { return m_stopping; })) {
      lock.unlock();
      beat();
      lock.lock();
    }
  });
}

void AgentPresence::beat() {
  auto now = now_unix_ms();
  auto running = m_running();
  auto draining = m_store.heartbeat_agent(m_info.id, running, now);
  if (!draining && draining.error().code == ErrorCode::not_found) {
    m_info.running = running;
    m_info.last_heartbeat_ms = now;
    m_store.register_agent(m_info); // forgotten while silent, or never registered
    return;
  }
  if (!draining) {
    log::warn("heartbeat not recorded: {}", draining.error().message);
    return;
  }
  if (*draining && !m_drain_requested.exchange(true)) {
    log::info("a drain was asked: taking no new run");
  }
}

void AgentPresence::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      return;
    }
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
    if (auto removed = m_store.deregister_agent(m_info.id); !removed) {
      log::warn("could not remove this agent from the list: {}", removed.error().message);
    }
  }
}

} // namespace cicd::agent

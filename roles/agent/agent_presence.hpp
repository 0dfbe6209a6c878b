#pragma once
// The agent as the fleet sees it: registered in the database at start, a heartbeat every
// `interval` with the runs in hand (which GET /agents shows), the drain request read back on
// each heartbeat, deregistered at a clean exit. A heartbeat the store lost (the sweeper
// forgot a silent agent) registers the agent again.

#include "cicd/store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cicd::agent {

// Thread safety: start() and stop() from one thread; drain_requested() from any.
class AgentPresence {
public:
  // `running` is asked for the count of runs in hand at each heartbeat. The host and the
  // version are this process's.
  AgentPresence(store::Store& store, std::string id, int slots,
                std::vector<std::string> resource_classes, std::chrono::milliseconds interval,
                std::function<int()> running);
  ~AgentPresence();
  AgentPresence(const AgentPresence&) = delete;
  AgentPresence& operator=(const AgentPresence&) = delete;

  void start();
  // Stops the heartbeat and removes the agent from the list.
  void stop();
  bool drain_requested() const { return m_drain_requested; }

private:
  void beat();

  store::Store& m_store;
  store::AgentInfo m_info;
  std::chrono::milliseconds m_interval;
  std::function<int()> m_running;
  std::atomic<bool> m_drain_requested{false};
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
};

} // namespace cicd::agent

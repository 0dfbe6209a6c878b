#pragma once
// The agent's dispatch loop: takes run messages when it has a free slot and the machine is
// not busy, claims each run in the database (a run executes at most once), and executes it on
// a thread of its own. Standalone runs it in-process; `cicd agent` will run it on RabbitMQ.

#include "cicd/executor/run_executor.hpp"
#include "cicd/queue/queue.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cicd::agent {

struct AgentOptions {
  int slots = 0;               // 0: one per core
  double cpu_threshold = 80.0; // take no new run while the machine's CPU use is above (%)
  std::vector<std::string> resource_classes = {"default"};
};

// Thread safety: start() once; stop_gracefully() and stop_now() from any thread.
class AgentLoop {
public:
  AgentLoop(queue::Queue& queue, store::Store& store, executor::RunExecutor& executor,
            AgentOptions options);
  ~AgentLoop();

  // Sweeps what a crash of this agent left (containers, networks, runs still marked running),
  // republishes queued runs (the in-process queue starts empty), then starts taking runs.
  void start();
  // Takes nothing new and waits for the runs in progress to finish.
  void stop_gracefully();
  // Aborts the runs in progress ("agent shut down") and waits for their clean-up.
  void stop_now();

  int running() const;

private:
  void dispatch_loop();
  void join_finished();
  bool machine_busy();

  queue::Queue& m_queue;
  store::Store& m_store;
  executor::RunExecutor& m_executor;
  AgentOptions m_options;
  std::atomic<bool> m_taking{false};
  std::thread m_dispatcher;
  mutable std::mutex m_mutex;
  std::map<std::int64_t, std::shared_ptr<executor::CancelSignal>> m_active;
  std::map<std::int64_t, std::thread> m_workers;
  std::vector<std::int64_t> m_finished; // workers done, to be joined
  std::uint64_t m_cpu_busy = 0;
  std::uint64_t m_cpu_total = 0;
};

} // namespace cicd::agent

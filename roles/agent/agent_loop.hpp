#pragma once
// The agent's dispatch loop: takes run messages when it has a free slot, the machine is not
// busy and the run's resource class fits the capacity the runs in hand leave free (all three),
// claims each run in the database (a run executes at most once), and executes it on a thread
// of its own. Standalone runs it in-process; `cicd agent` runs it on RabbitMQ.

#include "agent_capacity.hpp"
#include "resource_class_catalog.hpp"

#include "cicd/executor/run_executor.hpp"
#include "cicd/queue/queue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cicd::agent {

struct AgentOptions {
  int slots = 0;               // 0: one per core
  double cpu_threshold = 80.0; // take no new run while the machine's CPU use is above (%)
  // The capacity the classes of the runs in hand must fit in. 0: the machine's cores / memory.
  double cpus = 0;
  std::int64_t memory_mib = 0;
  // The classes this agent takes runs of; "*": every defined class and "default".
  std::vector<std::string> resource_classes = {"default"};
  // How often the class definitions are read again from the database.
  std::chrono::milliseconds class_refresh{3000};
  // Metrics: called on the run's thread with the final status of each run that ends here.
  std::function<void(model::RunStatus)> on_run_end;
};

// Thread safety: start() once; the other methods from any thread.
class AgentLoop {
public:
  AgentLoop(queue::Queue& queue, store::Store& store, executor::RunExecutor& executor,
            AgentOptions options);
  ~AgentLoop();

  // Sweeps what a crash of this agent left (containers, networks, runs still marked running),
  // republishes queued runs when `republish_queued` (the in-process queue starts empty),
  // listens to control messages (abort, drain), then starts taking runs.
  void start(bool republish_queued);
  // Takes nothing new from now on; runs in progress go on. Safe to call twice.
  void stop_taking();
  // Waits until no run is in progress or `timeout` passed; returns whether none is.
  bool wait_idle(std::chrono::seconds timeout);
  // Has the run's heartbeat check the database now (for an abort) if it is in progress here.
  void check_run_now(std::int64_t run_id);
  // Drain: stops taking, lets the runs in progress finish for up to `limit`, then aborts
  // what is left ("agent shut down") and waits for its clean-up.
  void drain(std::chrono::seconds limit);
  // Aborts the runs in progress with `reason`; they end as their clean-up is done.
  void abort_all(const std::string& reason);
  // Aborts the runs in progress ("agent shut down") and waits for their clean-up.
  void stop_now();
  int slots() const { return m_options.slots; }

  int running() const;
  // Metrics: the machine's busy CPU share (0..1) as the dispatcher last measured it; it
  // measures only while a slot is free.
  double cpu_busy_ratio() const { return m_cpu_busy_ratio; }
  // True once a drain was asked through a control message (the caller also learns it from
  // the database on its heartbeat).
  bool drain_requested() const { return m_drain_requested; }

private:
  void dispatch_loop();
  void join_finished();
  void join_all();
  bool machine_busy();
  // The served classes a run of which fits the free capacity now.
  std::vector<model::ResourceClass> classes_that_fit();
  void on_control(const queue::ControlMessage& message);

  queue::Queue& m_queue;
  store::Store& m_store;
  executor::RunExecutor& m_executor;
  AgentOptions m_options;
  AgentCapacity m_capacity;
  ResourceClassCatalog m_classes;         // the dispatcher's
  std::set<std::string> m_too_big_logged; // classes logged as never fitting (the dispatcher's)
  std::atomic<bool> m_taking{false};
  std::atomic<bool> m_drain_requested{false};
  std::condition_variable m_changed; // a run ended
  std::thread m_dispatcher;
  mutable std::mutex m_mutex;
  std::map<std::int64_t, std::shared_ptr<executor::CancelSignal>> m_active;
  std::map<std::int64_t, std::thread> m_workers;
  std::vector<std::int64_t> m_finished; // workers done, to be joined
  std::uint64_t m_cpu_busy = 0;
  std::uint64_t m_cpu_total = 0;
  std::atomic<double> m_cpu_busy_ratio{0}; // what machine_busy() last saw, for metrics
  // Since when the CPU threshold holds runs back, and whether the log has said so: an operator
  // wondering why runs stay queued finds the reason there.
  std::optional<std::chrono::steady_clock::time_point> m_busy_since;
  bool m_busy_logged = false;
};

} // namespace cicd::agent

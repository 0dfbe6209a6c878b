#include "agent_loop.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/crypto/random.hpp"
#include "cicd/executor/infrastructure_retry.hpp"

#include <algorithm>
#include <fstream>

namespace cicd::agent {

AgentLoop::AgentLoop(queue::Queue& queue, store::Store& store, executor::RunExecutor& executor,
                     AgentOptions options)
    : m_queue(queue), m_store(store), m_executor(executor), m_options(std::move(options)),
      m_capacity(m_options.cpus, m_options.memory_mib),
      m_classes(store, m_options.resource_classes, m_options.class_refresh) {
  if (m_options.slots <= 0) {
    m_options.slots = machine_cores();
  }
}

AgentLoop::~AgentLoop() {
  stop_now();
}

void AgentLoop::start(bool republish_queued) {
  const auto& agent_id = m_executor.options().agent_id;
  m_executor.sweep_leftovers();
  if (auto failed = m_store.fail_runs_of_agent(agent_id,
                                               "agent lost: it restarted while the run "
                                               "was going",
                                               now_unix_ms());
      failed && *failed > 0) {
    log::warn("{} run(s) were running when this agent stopped; they are marked errored", *failed);
  }
  if (republish_queued) {
    if (auto queued = m_store.queued_runs(now_unix_ms() + 1, 100000)) {
      for (const auto& run : *queued) {
        m_queue.publish(queue::RunMessage{run.id, run.job, run.resource_class});
      }
    }
  }
  m_queue.on_control([this](const queue::ControlMessage& message) { on_control(message); });
  m_taking = true;
  m_dispatcher = std::thread([this] { dispatch_loop(); });
  log::info("agent {} takes up to {} run(s) at once, within {}", agent_id, m_options.slots,
            m_capacity.describe());
}

int AgentLoop::running() const {
  std::lock_guard lock(m_mutex);
  return static_cast<int>(m_active.size());
}

void AgentLoop::stop_taking() {
  m_taking = false;
  if (m_dispatcher.joinable() && m_dispatcher.get_id() != std::this_thread::get_id()) {
    m_dispatcher.join();
  }
}

bool AgentLoop::wait_idle(std::chrono::seconds timeout) {
  std::unique_lock lock(m_mutex);
  return m_changed.wait_for(lock, timeout, [this] { return m_active.empty(); });
}

void AgentLoop::check_run_now(std::int64_t run_id) {
  std::lock_guard lock(m_mutex);
  if (auto found = m_active.find(run_id); found != m_active.end()) {
    found->second->poke();
  }
}

void AgentLoop::drain(std::chrono::seconds limit) {
  stop_taking();
  if (!wait_idle(limit)) {
    log::warn("{} run(s) still going after the drain limit of {}s: aborting them", running(),
              limit.count());
  }
  stop_now();
}

void AgentLoop::join_all() {
  std::map<std::int64_t, std::thread> workers;
  {
    std::lock_guard lock(m_mutex);
    workers.swap(m_workers);
    m_finished.clear();
  }
  for (auto& [id, worker] : workers) {
    worker.join();
  }
}

void AgentLoop::on_control(const queue::ControlMessage& message) {
  if (message.kind == queue::ControlMessage::Kind::abort_run) {
    // The run's heartbeat reads the abort, with who asked, from the database right away.
    check_run_now(message.run_id);
  } else if (message.agent_id == m_executor.options().agent_id) {
    log::info("a drain was asked: taking no new run");
    m_drain_requested = true;
    m_taking = false; // the dispatcher ends on its next turn; drain() joins it
  }
}

void AgentLoop::join_finished() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(m_mutex);
    for (auto id : m_finished) {
      if (auto it = m_workers.find(id); it != m_workers.end()) {
        done.push_back(std::move(it->second));
        m_workers.erase(it);
      }
    }
    m_finished.clear();
  }
  for (auto& worker : done) {
    worker.join();
  }
}

void AgentLoop::stop_now() {
  // Stop taking first, so that no run is claimed after the others were told to stop.
  stop_taking();
  abort_all("agent shut down");
  join_all();
}

void AgentLoop::abort_all(const std::string& reason) {
  std::lock_guard lock(m_mutex);
  for (auto& [id, cancel] : m_active) {
    cancel->fire({model::RunStatus::aborted, reason});
  }
}

// /proc/stat's first line: busy share of CPU time since the previous call.
bool AgentLoop::machine_busy() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) {
    return false;
  }
  std::uint64_t busy = user + nice + system + irq + softirq + steal;
  std::uint64_t total = busy + idle + iowait;
  bool over = false;
  if (total > m_cpu_total) {
    double share =
        100.0 * static_cast<double>(busy - m_cpu_busy) / static_cast<double>(total - m_cpu_total);
    over = m_cpu_total != 0 && share > m_options.cpu_threshold;
    if (m_cpu_total != 0) {
      m_cpu_busy_ratio = share / 100.0; // metrics
    }
  }
  m_cpu_busy = busy;
  m_cpu_total = total;
  auto now = std::chrono::steady_clock::now();
  if (!over) {
    if (m_busy_logged) {
      log::info("the machine's CPU use is below --cpu-threshold again: taking runs");
    }
    m_busy_since.reset();
    m_busy_logged = false;
  } else if (!m_busy_since) {
    m_busy_since = now;
  } else if (!m_busy_logged && now - *m_busy_since >= std::chrono::seconds(10)) {
    log::info("taking no new run: the machine's CPU use has been above --cpu-threshold {}% for "
              "10 s (now {:.0f}%); runs wait in their queue until it drops",
              m_options.cpu_threshold, m_cpu_busy_ratio * 100);
    m_busy_logged = true;
  }
  return over;
}

std::vector<model::ResourceClass> AgentLoop::classes_that_fit() {
  std::vector<model::ResourceClass> fitting;
  for (const auto& resource_class : m_classes.current()) {
    if (!m_capacity.could_ever_fit(resource_class)) {
      if (m_too_big_logged.insert(resource_class.name).second) {
        log::warn("resource class '{}' needs {}, more than this agent's whole capacity ({}): "
                  "this agent never takes its runs",
                  resource_class.name, model::describe_limits(resource_class),
                  m_capacity.describe());
      }
      continue;
    }
    m_too_big_logged.erase(resource_class.name); // logged again should it grow too big again
    if (m_capacity.fits_now(resource_class)) {
      fitting.push_back(resource_class);
    }
  }
  return fitting;
}

void AgentLoop::dispatch_loop() {
  const auto& agent_id = m_executor.options().agent_id;
  while (m_taking) {
    join_finished();
    if (running() >= m_options.slots || machine_busy()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    // The queue is asked only for the classes that fit now: a bigger run stays in its queue
    // (for another agent, or for this one once runs end) and holds back no smaller one.
    auto fitting = classes_that_fit();
    if (fitting.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    std::vector<std::string> names;
    names.reserve(fitting.size());
    for (const auto& resource_class : fitting) {
      names.push_back(resource_class.name);
    }
    auto delivery = m_queue.take(names, std::chrono::milliseconds(250));
    if (!delivery) {
      continue;
    }
    if (!m_taking) { // stopped or drained while waiting: the message is another agent's
      m_queue.requeue(*delivery);
      break;
    }
    const auto* message = &delivery->message;
    auto resource_class = std::find_if(fitting.begin(), fitting.end(), [&](const auto& c) {
      return c.name == message->resource_class;
    });
    if (resource_class == fitting.end()) { // the backend broke its contract: not ours to run
      log::error("the queue handed over run {} of class '{}', which was not asked for",
                 message->run_id, message->resource_class);
      m_queue.requeue(*delivery);
      continue;
    }
    auto lease = crypto::to_hex(crypto::random_bytes(16));
    auto lease_ms = m_executor.options().lease_length.count() * 1000;
    auto claimed = m_store.claim_run(message->run_id, agent_id, lease, now_unix_ms(),
                                     now_unix_ms() + lease_ms);
    if (!claimed) {
      // The database is away: the message goes back for this or another agent to try again.
      log::warn("could not claim run {}: {}", message->run_id, claimed.error().message);
      m_queue.requeue(*delivery);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    // Acked right after the claim, never at the end of the run: a broker would redeliver a
    // message left unacked for long (RabbitMQ after 30 minutes) and run it twice.
    m_queue.ack(*delivery);
    if (!*claimed) {
      continue; // taken by another agent, aborted, or deleted: a duplicate message is harmless
    }
    auto cancel = std::make_shared<executor::CancelSignal>();
    // Reserved from the claim until the worker ends, clean-up included. The executor gets the
    // definition reserved here, so what the container may use is what is counted, and a
    // class changed meanwhile applies to later runs.
    m_capacity.reserve(message->run_id, *resource_class);
    std::lock_guard lock(m_mutex);
    m_active.emplace(message->run_id, cancel);
    m_workers[message->run_id] = std::thread([this, run = std::move(**claimed), lease, cancel] {
      auto id = run.id;
      log::info("run {} of {} started", id, run.job);
      executor::Outcome outcome;
      try {
        outcome = m_executor.execute(run, lease, *cancel, m_capacity.reserved(id));
      } catch (const std::exception& e) {
        // Out of disk or file descriptors before the run could start: the run errors, the
        // agent goes on.
        outcome = executor::Outcome{model::RunStatus::errored, std::nullopt,
                                    std::string("the agent could not run it: ") + e.what(), true};
        outcome.recorded = static_cast<bool>(m_store.finish_run(
            id, lease, outcome.status, std::nullopt, outcome.reason, false, now_unix_ms()));
      }
      log::info("run {} of {} ended: {}{}", id, run.job, model::to_string(outcome.status),
                outcome.reason.empty() ? "" : " (" + outcome.reason + ")");
      if (outcome.status == model::RunStatus::errored && outcome.infrastructure_error &&
          outcome.recorded) {
        executor::retry_after_infrastructure_error(m_store, m_queue, run, now_unix_ms());
      }
      if (m_options.on_run_end) { // metrics
        m_options.on_run_end(outcome.status);
      }
      {
        std::lock_guard done_lock(m_mutex);
        m_active.erase(id);
        m_capacity.release(id);
        m_finished.push_back(id);
      }
      m_changed.notify_all();
    });
  }
}

} // namespace cicd::agent

#include "sweeper.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/executor/infrastructure_retry.hpp"
#include "cicd/model/job.hpp"
#include "cicd/model/settings.hpp"

#include <boost/program_options/value_semantic.hpp>

#include <cstdlib>

#include <map>

namespace cicd::master {

void add_sweeper_options(boost::program_options::options_description& description,
                         SweeperOptions& options) {
  namespace po = boost::program_options;
  auto seconds = [](std::chrono::milliseconds& target) {
    return po::value<double>()
        ->default_value(static_cast<double>(target.count()) / 1000)
        ->notifier([&target](double value) {
          target = std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
        });
  };
  description.add_options()("sweep-period", seconds(options.period),
                            "seconds between two passes of the sweeper (lost agents, lost "
                            "messages)")(
      "republish-after", seconds(options.republish_after),
      "seconds a run may wait queued without a message before the sweeper publishes it again")(
      "retention-period", seconds(options.retention_period),
      "seconds between two passes of the retention sweep (expired results)");
}

Sweeper::Sweeper(store::Store& store, queue::Queue& queue, results::ResultStore& results,
                 SweeperOptions options)
    : m_store(store), m_queue(queue), m_results(results), m_options(std::move(options)) {}

Sweeper::~Sweeper() {
  stop();
}

void Sweeper::start() {
  m_thread = std::thread([this] {
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, m_options.period, [this] { return m_stopping; })) {
      lock.unlock();
      try {
        sweep_once();
      } catch (const std::exception& e) { // never let a sweep take the master down
        log::error("the sweeper failed: {}", e.what());
      }
      lock.lock();
    }
  });
}

void Sweeper::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void Sweeper::sweep_once() {
  auto now = now_unix_ms();
  // Held for three periods, renewed every period: a holder that dies is replaced soon.
  auto held =
      m_store.take_duty("sweeper", m_options.holder, now, now + 3 * m_options.period.count());
  if (!held || !*held) {
    return; // the database is away (the next pass retries) or another master sweeps
  }
  expire_leases(now);
  republish_lost_messages(now);
  if (now - m_last_retention_ms >= m_options.retention_period.count()) {
    m_last_retention_ms = now;
    expire_results(now);
    purge_expired_results();
  }
  if (auto forgotten = m_store.remove_silent_agents(now - m_options.forget_agents_after.count())) {
    for (const auto& id : *forgotten) {
      log::info("agent {} removed from the list: silent for {}s", id,
                m_options.forget_agents_after.count() / 1000);
    }
  }
}

void Sweeper::expire_leases(std::int64_t now_ms) {
  auto expired = m_store.expire_leases(now_ms);
  if (!expired) {
    log::warn("the sweeper could not check run leases: {}", expired.error().message);
    return;
  }
  for (const auto& run : *expired) {
    log::warn("run {} of {}: {}", run.id, run.job, run.reason);
    executor::retry_after_infrastructure_error(m_store, m_queue, run, now_ms);
  }
}

void Sweeper::republish_lost_messages(std::int64_t now_ms) {
  auto waiting = m_store.queued_runs(now_ms - m_options.republish_after.count(), 10000);
  if (!waiting || waiting->empty()) {
    return;
  }
  // Runs waiting while their class's queue is empty have no message any more. When the queue
  // holds messages, agents are merely busy: publishing again would only pile up duplicates.
  std::map<std::string, bool> queue_empty;
  for (const auto& run : *waiting) {
    auto [found, inserted] = queue_empty.try_emplace(run.resource_class, false);
    if (inserted) {
      auto depth = m_queue.depth(run.resource_class);
      found->second = depth && *depth == 0;
    }
    if (!found->second) {
      continue;
    }
    if (auto published = m_queue.publish(queue::RunMessage{run.id, run.job, run.resource_class});
        !published) {
      log::warn("run {}: still queued, publishing it again failed: {}", run.id,
                published.error().message);
      return; // the broker is away: the next pass tries again
    }
    log::info("run {} of {} was queued without a message for {}s: published again", run.id, run.job,
              (now_ms - run.queued_at_ms) / 1000);
  }
}

void Sweeper::expire_results(std::int64_t now_ms) {
  auto global = m_store.get_setting(model::k_result_retention_setting);
  if (!global) {
    log::warn("the sweeper could not read the retention setting: {}", global.error().message);
    return;
  }
  std::optional<std::int64_t> global_days;
  if (*global) {
    global_days = std::atoll((*global)->c_str());
  }
  constexpr int k_page = 200;
  std::string after;
  for (;;) {
    auto jobs = m_store.list_jobs(after, k_page);
    if (!jobs) {
      log::warn("the sweeper could not list jobs for retention: {}", jobs.error().message);
      return;
    }
    for (const auto& job : *jobs) {
      auto definition = model::parse_job_definition(job.definition_json);
      auto days = definition && definition->result_retention_days
                      ? definition->result_retention_days
                      : global_days;
      if (!days) {
        continue;
      }
      auto expired = m_store.expire_results(job.name, now_ms - *days * 24 * 3600 * 1000, 1000);
      if (!expired) {
        log::warn("the sweeper could not expire results of {}: {}", job.name,
                  expired.error().message);
        return;
      }
      if (!expired->empty()) {
        log::info("{}: the results of {} runs are older than {} days: expired", job.name,
                  expired->size(), *days);
      }
    }
    if (static_cast<int>(jobs->size()) < k_page) {
      return;
    }
    after = jobs->back().name;
  }
}

void Sweeper::purge_expired_results() {
  auto runs = m_store.results_to_purge(1000);
  if (!runs) {
    log::warn("the sweeper could not list expired results: {}", runs.error().message);
    return;
  }
  for (auto id : *runs) {
    if (auto removed = m_results.remove_run(id); !removed) {
      log::warn("run {}: its expired results could not be deleted yet: {}", id,
                removed.error().message);
      return; // the store is away: the next pass tries again
    }
    if (auto marked = m_store.mark_results_purged(id); !marked) {
      log::warn("run {}: {}", id, marked.error().message);
      return;
    }
  }
}

} // namespace cicd::master

#include "sweeper.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/executor/infrastructure_retry.hpp"

#include <map>

namespace cicd::master {

Sweeper::Sweeper(store::Store& store, queue::Queue& queue, SweeperOptions options)
    : m_store(store), m_queue(queue), m_options(std::move(options)) {}

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

} // namespace cicd::master

#include "sweeper.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/model/job.hpp"

#include <map>

namespace cicd::master {

namespace {

// A run's number of earlier attempts: how many retry_of links lead back from it.
int earlier_attempts(store::Store& store, const model::Run& run) {
  int attempts = 0;
  auto current = run;
  while (current.trigger.retry_of && attempts <= model::k_max_infrastructure_retries) {
    auto previous = store.get_run(current.job, *current.trigger.retry_of);
    if (!previous) {
      break;
    }
    current = std::move(*previous);
    ++attempts;
  }
  return attempts;
}

} // namespace

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
    retry_if_wanted(run, now_ms);
  }
}

void Sweeper::retry_if_wanted(const model::Run& run, std::int64_t now_ms) {
  auto job = m_store.get_job(run.job);
  if (!job) {
    return;
  }
  auto definition = model::parse_job_definition(job->definition_json);
  if (!definition || definition->retries_on_infrastructure_error == 0) {
    return;
  }
  auto attempts = earlier_attempts(m_store, run);
  if (attempts >= definition->retries_on_infrastructure_error) {
    log::info("run {} of {}: not retried, {} retr{} already", run.id, run.job, attempts,
              attempts == 1 ? "y" : "ies");
    return;
  }
  auto retry = m_store.create_retry(run, now_ms);
  if (!retry) {
    log::warn("run {} of {}: its retry could not be created: {}", run.id, run.job,
              retry.error().message);
    return;
  }
  log::info("run {} of {} retried as run {}", run.id, run.job, retry->id);
  // A failed publish leaves the retry queued: the republish below finds it.
  m_queue.publish(queue::RunMessage{retry->id, retry->job, retry->resource_class});
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

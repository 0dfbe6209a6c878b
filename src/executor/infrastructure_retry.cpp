#include "cicd/executor/infrastructure_retry.hpp"

#include "cicd/core/log.hpp"
#include "cicd/model/job.hpp"

namespace cicd::executor {

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

std::optional<model::Run> retry_after_infrastructure_error(store::Store& store, queue::Queue& queue,
                                                           const model::Run& ended,
                                                           std::int64_t now_ms) {
  auto job = store.get_job(ended.job);
  if (!job) {
    return std::nullopt;
  }
  auto definition = model::parse_job_definition(job->definition_json);
  if (!definition || definition->retries_on_infrastructure_error == 0) {
    return std::nullopt;
  }
  auto attempts = earlier_attempts(store, ended);
  if (attempts >= definition->retries_on_infrastructure_error) {
    log::info("run {} of {}: not retried, {} retr{} already", ended.id, ended.job, attempts,
              attempts == 1 ? "y" : "ies");
    return std::nullopt;
  }
  auto retry = store.create_retry(ended, now_ms);
  if (!retry) {
    log::warn("run {} of {}: its retry could not be created: {}", ended.id, ended.job,
              retry.error().message);
    return std::nullopt;
  }
  log::info("run {} of {} retried as run {}", ended.id, ended.job, retry->id);
  if (auto published =
          queue.publish(queue::RunMessage{retry->id, retry->job, retry->resource_class});
      !published) {
    log::warn("run {}: stays queued until the sweeper publishes it again: {}", retry->id,
              published.error().message);
  }
  return std::move(*retry);
}

} // namespace cicd::executor

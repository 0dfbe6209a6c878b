#include "run_steps.hpp"

#include "cicd/core/log.hpp"

namespace cicd::executor {

void log_store_retry(std::string_view what, std::chrono::milliseconds pause,
                     const std::string& error) {
  log::warn("{} not done yet, retrying in {} ms: {}", what, pause.count(), error);
}

Result<void> retry_store_write(std::string_view what, std::chrono::seconds patience,
                               const std::function<Result<void>()>& write) {
  return retry_store(what, patience, write);
}

} // namespace cicd::executor

#include "run_steps.hpp"

#include "cicd/core/log.hpp"

#include <algorithm>
#include <thread>

namespace cicd::executor {

Result<void> retry_store_write(std::string_view what, std::chrono::seconds patience,
                               const std::function<Result<void>()>& write) {
  auto give_up = std::chrono::steady_clock::now() + patience;
  auto pause = std::chrono::milliseconds(250);
  for (;;) {
    auto written = write();
    if (written || written.error().code != ErrorCode::unavailable ||
        std::chrono::steady_clock::now() + pause > give_up) {
      return written;
    }
    log::warn("{} not written yet, retrying in {} ms: {}", what, pause.count(),
              written.error().message);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(5000));
  }
}

} // namespace cicd::executor

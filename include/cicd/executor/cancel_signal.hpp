#pragma once
// The single source of cancellation for one run: a timeout, an abort and an agent shutdown
// all fire it with their reason; the first one wins.

#include "cicd/model/run.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace cicd::executor {

struct CancelReason {
  model::RunStatus status; // timed_out or aborted (errored when the lease was lost)
  std::string reason;
};

// Thread safety: all methods may be called from any thread.
class CancelSignal {
public:
  // Returns true when this call fired the signal (it was not fired before).
  bool fire(CancelReason reason) {
    {
      std::lock_guard lock(m_mutex);
      if (m_reason) {
        return false;
      }
      m_reason = std::move(reason);
    }
    m_fired.notify_all();
    return true;
  }

  std::optional<CancelReason> reason() const {
    std::lock_guard lock(m_mutex);
    return m_reason;
  }

  // Waits until fired or `timeout` passed; returns whether it was fired.
  bool wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_fired.wait_for(lock, timeout, [&] { return m_reason.has_value(); });
  }

private:
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_fired;
  std::optional<CancelReason> m_reason;
};

} // namespace cicd::executor

#pragma once
// The single source of cancellation for one run: a timeout, an abort and an agent shutdown
// all fire it with their reason; the first one wins.

#include "cicd/model/run.hpp"

#include <atomic>
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

  // Asks the run's heartbeat to check the database now rather than at its next renewal
  // (an abort was broadcast); take_poke() reads and clears the request.
  void poke() { m_poked = true; }
  bool take_poke() { return m_poked.exchange(false); }

private:
  std::atomic<bool> m_poked{false};
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_fired;
  std::optional<CancelReason> m_reason;
};

} // namespace cicd::executor

#include "control_dispatcher.hpp"

#include "cicd/core/log.hpp"

namespace cicd::queue {

ControlDispatcher::ControlDispatcher() : m_thread([this] { run(); }) {}

ControlDispatcher::~ControlDispatcher() {
  {
    std::lock_guard lock(m_mutex);
    m_closing = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

void ControlDispatcher::set_handler(Handler handler) {
  std::lock_guard lock(m_mutex);
  m_handler = std::move(handler);
}

bool ControlDispatcher::has_handler() const {
  std::lock_guard lock(m_mutex);
  return static_cast<bool>(m_handler);
}

void ControlDispatcher::dispatch(ControlMessage message) {
  {
    std::lock_guard lock(m_mutex);
    m_waiting.push_back(std::move(message));
  }
  m_changed.notify_all();
}

void ControlDispatcher::run() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_changed.wait(lock, [&] { return m_closing || !m_waiting.empty(); });
    if (m_closing) {
      return;
    }
    auto message = std::move(m_waiting.front());
    m_waiting.pop_front();
    auto handler = m_handler;
    lock.unlock();
    try {
      if (handler) {
        handler(message);
      }
    } catch (const std::exception& e) {
      log::error("handling a control message failed: {}", e.what());
    }
    lock.lock();
  }
}

} // namespace cicd::queue

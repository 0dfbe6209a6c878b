#pragma once
// Calls the control handler (Queue::on_control) on a thread of its own, in the order messages
// came. The RabbitMQ connection thread only hands messages over: a slow handler (killing a
// run's containers) never holds up its heartbeats, and a handler that calls back into the
// queue never waits for the very thread that runs it.
// Thread safety: all methods from any thread.

#include "cicd/queue/run_message.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace cicd::queue {

class ControlDispatcher {
public:
  using Handler = std::function<void(const ControlMessage&)>;

  ControlDispatcher();
  // Stops the thread once the handler call under way (if any) returns; messages not handed
  // to the handler yet are dropped (control messages are best effort).
  ~ControlDispatcher();
  ControlDispatcher(const ControlDispatcher&) = delete;
  ControlDispatcher& operator=(const ControlDispatcher&) = delete;

  void set_handler(Handler handler);
  bool has_handler() const;
  void dispatch(ControlMessage message);

private:
  void run();

  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  Handler m_handler;
  std::deque<ControlMessage> m_waiting;
  bool m_closing = false;
  std::thread m_thread; // last: starts once everything above is ready
};

} // namespace cicd::queue

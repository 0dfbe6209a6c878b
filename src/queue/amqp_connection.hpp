#pragma once
// The connection to RabbitMQ as the rest of the backend sees it: one thread owns an AmqpSession
// (librabbitmq is not thread-safe per connection), connects at start, wakes at least every
// k_tick to send heartbeats and notice the broker's missing ones, reconnects with back-off
// (k_first_backoff doubling to k_max_backoff) after any failure, and runs work that other
// threads post, in the order they posted it.
//
// Work posted before the first connection attempt has ended waits for it; work posted while
// RabbitMQ is unreachable runs at once with no session, so that it can fail its caller
// instead of making it wait.
// Thread safety: post() and offline_error() from any thread. The listener's callbacks and all
// posted work run on the connection thread, one at a time.

#include "amqp_session.hpp"
#include "amqp_url.hpp"

#include "cicd/core/error.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cicd::queue {

class AmqpConnection {
public:
  static constexpr std::chrono::milliseconds k_tick{500};
  static constexpr std::chrono::milliseconds k_first_backoff{250};
  static constexpr std::chrono::milliseconds k_max_backoff{5000};

  // What the owner does with each session, on the connection thread. An Error returned from
  // either callback drops the session (with its consumers and unsettled deliveries) and
  // reconnects.
  class Listener {
  public:
    // A new session: declare and consume again what the owner needs.
    virtual Result<void> on_connected(AmqpSession& session) = 0;
    virtual Result<void> on_event(AmqpSession& session, AmqpEvent event) = 0;
    // The session is gone, and with it everything the broker tied to it: consumers, unsettled
    // deliveries (RabbitMQ requeues them), publishes not confirmed yet.
    virtual void on_lost(const Error& reason) = 0;

  protected:
    ~Listener() = default;
  };

  // Runs on the connection thread with the live session, or with nullptr when RabbitMQ is
  // unreachable or the connection is closing. An Error it returns means the session broke.
  using Work = std::function<Result<void>(AmqpSession*)>;

  // Starts the thread, which connects at once; never throws for an unreachable broker.
  AmqpConnection(AmqpAddress address, Listener& listener);
  // Stops the thread and closes the session; work still waiting runs without a session.
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  void post(Work work);
  // Why there is no session now, for work that got none.
  Error offline_error() const;
  const AmqpAddress& address() const { return m_address; }

private:
  void run();
  // Serves one session until it fails (its Error) or the connection is closing (success).
  Result<void> serve(AmqpSession& session);
  // Waits `pause` or until closing, running posted work without a session meanwhile.
  void wait_offline(std::chrono::milliseconds pause);
  std::deque<Work> take_posted();
  bool has_posted();
  // Blocks until the wake-up fd (or `socket`, when given) is readable, at most `timeout`.
  void sleep_until_woken(int socket, std::chrono::milliseconds timeout);
  void set_offline(Error reason);

  const AmqpAddress m_address;
  Listener& m_listener;
  int m_wake_fd = -1; // an eventfd: post() writes it to wake the thread from poll()
  std::atomic<bool> m_closing{false};

  mutable std::mutex m_mutex; // guards m_posted and m_offline
  std::deque<Work> m_posted;
  Error m_offline;

  std::thread m_thread; // last: starts once everything above is ready
};

} // namespace cicd::queue

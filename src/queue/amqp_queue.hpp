#pragma once
// The RabbitMQ backend of Queue (see queue.hpp for the contract). Runs wait in the durable
// queue cicd.runs.<class> as persistent messages, published with confirms; control messages
// go through the fanout exchange cicd.control. A take consumes from each of its classes'
// queues with a prefetch of one and cancels those consumers at the first good delivery, so
// that between takes this process holds back nothing from other agents.
//
// All broker work runs on the AmqpConnection thread; callers post it and wait on a future or a
// condition variable, never longer than their own time limit.

#include "amqp_connection.hpp"
#include "control_dispatcher.hpp"

#include "cicd/queue/queue.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>

namespace cicd::queue {

inline constexpr std::chrono::seconds k_amqp_reply_timeout{5};
inline const std::string k_control_exchange = "cicd.control";
inline const std::string k_control_consumer = "cicd-control";

inline std::string run_queue_name(const std::string& resource_class) {
  return "cicd.runs." + resource_class;
}

// One take() waiting for a delivery. The connection thread offers it at most one; the caller
// closes it when it stops waiting, after which offers are refused (and the message requeued).
struct PendingTake {
  explicit PendingTake(std::vector<std::string> classes) : resource_classes(std::move(classes)) {}

  bool offer(Delivery delivery) {
    {
      std::lock_guard lock(mutex);
      if (closed || received) {
        return false;
      }
      received = std::move(delivery);
    }
    changed.notify_all();
    return true;
  }

  // Served or given up: it needs no consumers any more.
  bool finished() {
    std::lock_guard lock(mutex);
    return closed || received.has_value();
  }

  const std::vector<std::string> resource_classes;
  std::vector<std::string> consumer_tags; // connection thread only: its consumers now

  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Delivery> received;
  bool closed = false;
};

using PendingPublish = std::promise<Result<void>>;

// Thread safety: the Queue methods from any thread; the Listener callbacks and posted work on
// the connection thread, which alone touches the members marked so.
class AmqpQueue final : public Queue, private AmqpConnection::Listener {
public:
  explicit AmqpQueue(AmqpAddress address) : m_connection(std::move(address), *this) {}

  Result<void> publish(const RunMessage& message) override {
    return send({}, run_queue_name(message.resource_class), encode(message), true);
  }

  std::optional<Delivery> take(const std::vector<std::string>& resource_classes,
                               std::chrono::milliseconds timeout) override;

  void ack(const Delivery& delivery) override { settle(delivery.tag, true); }
  void requeue(const Delivery& delivery) override { settle(delivery.tag, false); }

  Result<void> broadcast(const ControlMessage& message) override {
    return send(k_control_exchange, {}, encode_control(message), false);
  }

  // Returns once the control queue is bound (within k_amqp_reply_timeout), so that the
  // handler receives every broadcast from then on; while RabbitMQ is away, at once (the
  // queue is bound on connecting). The handler runs on a thread of its own, one message at a
  // time (ControlDispatcher).
  void on_control(std::function<void(const ControlMessage&)> handler) override;

  Result<std::int64_t> depth(const std::string& resource_class) override;

  std::int64_t malformed_messages() const override { return m_malformed; }

private:
  Result<void> send(const std::string& exchange, const std::string& routing_key, std::string body,
                    bool to_run_queue);
  void settle(std::uint64_t token, bool ack);

  // Connection thread.
  Result<void> on_connected(AmqpSession& session) override;
  Result<void> on_event(AmqpSession& session, AmqpEvent event) override;
  void on_lost(const Error& reason) override;
  Result<void> on_delivered(AmqpSession& session, AmqpDelivered& delivered);
  void on_confirmed(const AmqpConfirmed& confirmed);
  Result<void> declare_run_queue(AmqpSession& session, const std::string& name);
  Result<void> consume_control(AmqpSession& session);
  Result<void> start_consumers(AmqpSession& session, const std::shared_ptr<PendingTake>& take);
  Result<void> stop_consumers(AmqpSession* session, const std::shared_ptr<PendingTake>& take);

  std::atomic<std::int64_t> m_malformed{0};
  ControlDispatcher m_control; // before m_connection, whose thread hands it messages

  // Connection thread only; what the session holds, forgotten with it in on_lost().
  std::set<std::string> m_declared_queues;
  bool m_control_exchange_declared = false;
  bool m_control_consuming = false;
  std::map<std::uint64_t, std::shared_ptr<PendingPublish>> m_unconfirmed; // by publish number
  std::map<std::string, std::shared_ptr<PendingTake>> m_consumers;        // by consumer tag
  std::map<std::uint64_t, std::uint64_t> m_unsettled; // Delivery::tag -> broker delivery tag
  // Connection thread only; kept across sessions.
  std::vector<std::shared_ptr<PendingTake>> m_waiting_takes;
  std::uint64_t m_last_token = 0;
  std::uint64_t m_last_consumer = 0;

  AmqpConnection m_connection; // last: its thread stops first, while the rest still exists
};

} // namespace cicd::queue

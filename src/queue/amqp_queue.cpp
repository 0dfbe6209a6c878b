// What callers of the RabbitMQ queue run: they post work to the connection thread and wait
// for its answer, never longer than their time limit (amqp_queue_events.cpp is that work's
// other half, on the connection thread).

#include "amqp_queue.hpp"

#include <fmt/format.h>

#include <thread>

namespace cicd::queue {

std::unique_ptr<Queue> open_amqp_queue(const std::string& url);

namespace {
using Clock = std::chrono::steady_clock;
} // namespace

Result<void> AmqpQueue::send(const std::string& exchange, const std::string& routing_key,
                             std::string body, bool to_run_queue) {
  auto pending = std::make_shared<PendingPublish>();
  auto confirmed = pending->get_future();
  auto deadline = Clock::now() + k_amqp_reply_timeout;
  m_connection.post([=, this, body = std::move(body)](AmqpSession* session) -> Result<void> {
    if (Clock::now() >= deadline) {
      return {}; // the caller has given up: publishing now would only make a duplicate
    }
    if (session == nullptr) {
      pending->set_value(m_connection.offline_error());
      return {};
    }
    Result<void> declared;
    if (to_run_queue) {
      declared = declare_run_queue(*session, routing_key);
    } else if (!m_control_exchange_declared) {
      declared = session->declare_fanout_exchange(exchange);
      m_control_exchange_declared = declared.has_value();
    }
    if (!declared) {
      pending->set_value(declared.error());
      return declared;
    }
    auto number = session->publish(exchange, routing_key, body, to_run_queue);
    if (!number) {
      pending->set_value(number.error());
      return number.error();
    }
    m_unconfirmed.emplace(*number, pending);
    return {};
  });
  if (confirmed.wait_until(deadline) != std::future_status::ready) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("RabbitMQ at {} did not confirm a message within {} s",
                                  m_connection.address().describe(), k_amqp_reply_timeout.count()));
  }
  return confirmed.get();
}

std::optional<Delivery> AmqpQueue::take(const std::vector<std::string>& resource_classes,
                                        std::chrono::milliseconds timeout) {
  if (resource_classes.empty()) {
    std::this_thread::sleep_for(timeout);
    return std::nullopt;
  }
  auto deadline = Clock::now() + timeout;
  auto pending = std::make_shared<PendingTake>(resource_classes);
  m_connection.post([this, pending](AmqpSession* session) -> Result<void> {
    // Kept across reconnects, so that a take still waiting consumes from the new session.
    m_waiting_takes.push_back(pending);
    return session != nullptr ? start_consumers(*session, pending) : Result<void>();
  });
  std::unique_lock lock(pending->mutex);
  if (pending->changed.wait_until(lock, deadline, [&] { return pending->received.has_value(); })) {
    return std::move(pending->received);
  }
  pending->closed = true;
  lock.unlock();
  m_connection.post(
      [this, pending](AmqpSession* session) { return stop_consumers(session, pending); });
  return std::nullopt;
}

void AmqpQueue::on_control(std::function<void(const ControlMessage&)> handler) {
  m_control.set_handler(std::move(handler));
  auto bound = std::make_shared<std::promise<void>>();
  auto done = bound->get_future();
  m_connection.post([this, bound](AmqpSession* session) {
    auto consumed =
        session != nullptr && !m_control_consuming ? consume_control(*session) : Result<void>();
    bound->set_value();
    return consumed;
  });
  done.wait_for(k_amqp_reply_timeout);
}

void AmqpQueue::settle(std::uint64_t token, bool ack) {
  m_connection.post([this, token, ack](AmqpSession* session) -> Result<void> {
    auto found = m_unsettled.find(token);
    if (session == nullptr || found == m_unsettled.end()) {
      return {}; // from a session that is gone: RabbitMQ has requeued it already
    }
    auto delivery_tag = found->second;
    m_unsettled.erase(found);
    return ack ? session->ack(delivery_tag) : session->reject(delivery_tag, true);
  });
}

Result<std::int64_t> AmqpQueue::depth(const std::string& resource_class) {
  auto pending = std::make_shared<std::promise<Result<std::int64_t>>>();
  auto counted = pending->get_future();
  auto deadline = Clock::now() + k_amqp_reply_timeout;
  m_connection.post([this, pending, deadline, resource_class](AmqpSession* session) {
    if (Clock::now() >= deadline) {
      return Result<void>();
    }
    if (session == nullptr) {
      pending->set_value(m_connection.offline_error());
      return Result<void>();
    }
    // A declare, not a passive one: that would close the channel for a queue not made yet.
    auto name = run_queue_name(resource_class);
    auto ready = session->declare_queue(name);
    if (!ready) {
      pending->set_value(ready.error());
      return Result<void>(ready.error());
    }
    m_declared_queues.insert(name);
    pending->set_value(*ready);
    return Result<void>();
  });
  if (counted.wait_until(deadline) != std::future_status::ready) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("RabbitMQ at {} did not answer within {} s",
                                  m_connection.address().describe(), k_amqp_reply_timeout.count()));
  }
  return counted.get();
}

std::unique_ptr<Queue> open_amqp_queue(const std::string& url) {
  return std::make_unique<AmqpQueue>(parse_amqp_url(url));
}

} // namespace cicd::queue

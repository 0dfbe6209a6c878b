// The connection-thread half of the RabbitMQ queue: declaring, consuming, and handling what
// the broker sends (deliveries, confirms, ended consumers) and a lost session.

#include "amqp_queue.hpp"

#include "cicd/core/log.hpp"

#include <fmt/format.h>

namespace cicd::queue {

Result<void> AmqpQueue::declare_run_queue(AmqpSession& session, const std::string& name) {
  if (m_declared_queues.contains(name)) {
    return {};
  }
  if (auto declared = session.declare_queue(name); !declared) {
    return declared.error();
  }
  m_declared_queues.insert(name);
  return {};
}

Result<void> AmqpQueue::consume_control(AmqpSession& session) {
  if (!m_control.has_handler()) {
    return {};
  }
  if (!m_control_exchange_declared) {
    if (auto declared = session.declare_fanout_exchange(k_control_exchange); !declared) {
      return declared;
    }
    m_control_exchange_declared = true;
  }
  auto queue = session.declare_private_queue(k_control_exchange);
  if (!queue) {
    return queue.error();
  }
  // Auto-ack: a control message is best effort (agents also read the database).
  if (auto consumed = session.consume(*queue, k_control_consumer, true); !consumed) {
    return consumed;
  }
  m_control_consuming = true;
  return {};
}

Result<void> AmqpQueue::start_consumers(AmqpSession& session,
                                        const std::shared_ptr<PendingTake>& take) {
  if (take->finished()) {
    return {}; // its stop_consumers() is on the way
  }
  for (const auto& resource_class : take->resource_classes) {
    auto queue = run_queue_name(resource_class);
    if (auto declared = declare_run_queue(session, queue); !declared) {
      return declared;
    }
    auto tag = fmt::format("cicd-take-{}", ++m_last_consumer);
    if (auto consumed = session.consume(queue, tag, false); !consumed) {
      return consumed;
    }
    take->consumer_tags.push_back(tag);
    m_consumers.emplace(tag, take);
  }
  return {};
}

Result<void> AmqpQueue::stop_consumers(AmqpSession* session,
                                       const std::shared_ptr<PendingTake>& take) {
  std::erase(m_waiting_takes, take);
  if (session == nullptr) {
    take->consumer_tags.clear();
    return {};
  }
  // The consumers stay in m_consumers until the broker confirms the cancel: deliveries already
  // on their way still arrive, and are then requeued.
  for (const auto& tag : std::exchange(take->consumer_tags, {})) {
    if (auto cancelled = session->cancel(tag); !cancelled) {
      return cancelled;
    }
  }
  return {};
}

Result<void> AmqpQueue::on_connected(AmqpSession& session) {
  if (auto consumed = consume_control(session); !consumed) {
    return consumed;
  }
  for (const auto& take : m_waiting_takes) {
    if (auto started = start_consumers(session, take); !started) {
      return started;
    }
  }
  return {};
}

Result<void> AmqpQueue::on_event(AmqpSession& session, AmqpEvent event) {
  if (auto* delivered = std::get_if<AmqpDelivered>(&event)) {
    return on_delivered(session, *delivered);
  }
  if (auto* confirmed = std::get_if<AmqpConfirmed>(&event)) {
    on_confirmed(*confirmed);
    return {};
  }
  auto ended = m_consumers.find(std::get<AmqpConsumerEnded>(event).consumer_tag);
  if (ended == m_consumers.end()) {
    return {};
  }
  auto& tags = ended->second->consumer_tags;
  if (std::erase(tags, ended->first) > 0) {
    // Not a cancel of ours (those forget their tags first): RabbitMQ ended the consumer
    // because its queue was deleted, so the next publish or take must declare it again.
    m_declared_queues.clear();
  }
  m_consumers.erase(ended);
  return {};
}

Result<void> AmqpQueue::on_delivered(AmqpSession& session, AmqpDelivered& delivered) {
  if (delivered.consumer_tag == k_control_consumer) {
    auto message = decode_control(delivered.body);
    if (!message) {
      ++m_malformed;
      log::warn("dropped a malformed control message: {}", message.error().message);
      return {};
    }
    m_control.dispatch(std::move(*message));
    return {};
  }
  auto message = decode(delivered.body);
  if (!message) {
    // Rejected without requeue: RabbitMQ drops it (or dead-letters it, where so configured)
    // instead of handing it to the next agent, and the next.
    ++m_malformed;
    log::warn("dropped a malformed run message: {}", message.error().message);
    return session.reject(delivered.delivery_tag, false);
  }
  auto consumer = m_consumers.find(delivered.consumer_tag);
  if (consumer == m_consumers.end()) {
    return session.reject(delivered.delivery_tag, true);
  }
  auto take = consumer->second; // stop_consumers() may end the consumer's entry
  auto token = ++m_last_token;
  bool taken = take->offer(Delivery{*message, token});
  if (taken) {
    m_unsettled.emplace(token, delivered.delivery_tag);
  } else if (auto rejected = session.reject(delivered.delivery_tag, true); !rejected) {
    // Its take has been served or has given up: another agent may take it now.
    return rejected;
  }
  return stop_consumers(&session, take);
}

void AmqpQueue::on_confirmed(const AmqpConfirmed& confirmed) {
  auto first =
      confirmed.multiple ? m_unconfirmed.begin() : m_unconfirmed.find(confirmed.delivery_tag);
  if (first == m_unconfirmed.end()) {
    return;
  }
  auto last = m_unconfirmed.upper_bound(confirmed.delivery_tag);
  for (auto it = first; it != last; ++it) {
    it->second->set_value(confirmed.ok ? Result<void>()
                                       : make_error(ErrorCode::unavailable,
                                                    "RabbitMQ refused a message (basic.nack); "
                                                    "it may be short of memory or disk"));
  }
  m_unconfirmed.erase(first, last);
}

void AmqpQueue::on_lost(const Error& reason) {
  for (auto& [number, pending] : m_unconfirmed) {
    pending->set_value(make_error(ErrorCode::unavailable,
                                  "the connection was lost before RabbitMQ confirmed a message (" +
                                      reason.message + ")"));
  }
  m_unconfirmed.clear();
  m_declared_queues.clear();
  m_control_exchange_declared = false;
  m_control_consuming = false;
  m_consumers.clear();
  m_unsettled.clear();
  for (auto& take : m_waiting_takes) {
    take->consumer_tags.clear();
  }
}

} // namespace cicd::queue

#pragma once
// One AMQP 0-9-1 connection to RabbitMQ, from login to close, behind the wall that keeps
// librabbitmq-c out of every other file: C++ values in, C++ values and Errors out.
//
// The session uses one channel, in confirm mode, with a prefetch of one message per consumer.
// Any failure (socket, timeout, a channel or connection the broker closed) comes back as an
// unavailable Error and leaves the session broken: the owner destroys it and opens another.
// Every call is bounded: the TCP connect, the handshake and each synchronous reply wait at most
// k_io_timeout, and RabbitMQ is asked for heartbeats every k_heartbeat.
// Thread safety: none. librabbitmq is not thread-safe per connection, so one thread owns a
// session for its whole life.

#include "amqp_url.hpp"

#include "cicd/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cicd::queue {

// What the broker sent, one event per AMQP method (with its content, for a delivery).
struct AmqpDelivered {
  std::string consumer_tag;
  std::uint64_t delivery_tag = 0;
  std::string body;
};
// A publisher confirm: basic.ack (ok) or basic.nack for `delivery_tag`, and for every earlier
// one still open when `multiple`.
struct AmqpConfirmed {
  std::uint64_t delivery_tag = 0;
  bool multiple = false;
  bool ok = true;
};
// basic.cancel-ok for a cancel we sent, or basic.cancel from the broker (its queue was deleted).
struct AmqpConsumerEnded {
  std::string consumer_tag;
};
using AmqpEvent = std::variant<AmqpDelivered, AmqpConfirmed, AmqpConsumerEnded>;

class AmqpSession {
public:
  static constexpr std::chrono::seconds k_io_timeout{5};
  static constexpr std::chrono::seconds k_heartbeat{10};

  // Connects, logs in, opens the channel, selects confirms and sets the prefetch.
  static Result<std::unique_ptr<AmqpSession>> open(const AmqpAddress& address);
  // Closes politely (bounded by a short timeout) unless broken.
  ~AmqpSession();
  AmqpSession(const AmqpSession&) = delete;
  AmqpSession& operator=(const AmqpSession&) = delete;

  // The socket, to poll for input alongside other wake-ups.
  int socket() const;
  // Frames already read from the socket but not returned yet: poll() would not see them.
  bool has_buffered_input() const;
  // The next event already on its way, without waiting for the socket; nullopt when none.
  // Also sends a heartbeat when one is due and fails when RabbitMQ's are overdue, so the owner
  // calls it at least every second or so, input or not.
  Result<std::optional<AmqpEvent>> next_event();

  // Declares the durable queue `name` (idempotent) and returns its ready messages.
  Result<std::int64_t> declare_queue(const std::string& name);
  // Declares the durable fanout exchange `name`.
  Result<void> declare_fanout_exchange(const std::string& name);
  // Declares an exclusive, auto-deleted, server-named queue bound to `exchange`; its name.
  Result<std::string> declare_private_queue(const std::string& exchange);
  Result<void> consume(const std::string& queue, const std::string& consumer_tag, bool auto_ack);
  // Asks to stop a consumer without waiting: AmqpConsumerEnded follows, perhaps after
  // deliveries already under way.
  Result<void> cancel(const std::string& consumer_tag);
  // Publishes `body` (JSON) and returns its sequence number, which its confirm will name.
  Result<std::uint64_t> publish(const std::string& exchange, const std::string& routing_key,
                                std::string_view body, bool persistent);
  Result<void> ack(std::uint64_t delivery_tag);
  Result<void> reject(std::uint64_t delivery_tag, bool requeue);

private:
  struct State;
  explicit AmqpSession(std::unique_ptr<State> state);
  std::unique_ptr<State> m_state;
};

} // namespace cicd::queue

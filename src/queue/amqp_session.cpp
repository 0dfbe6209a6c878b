#include "amqp_session.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace cicd::queue {
namespace {

constexpr amqp_channel_t k_channel = 1;

amqp_bytes_t bytes_of(std::string_view text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string text_of(amqp_bytes_t bytes) {
  return bytes.len == 0 ? std::string()
                        : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval timeval_of(std::chrono::seconds duration) {
  return timeval{static_cast<time_t>(duration.count()), 0};
}

// What librabbitmq's status code means, with the system's reason for socket errors (which
// the status alone loses: "a socket error occurred" does not say "connection refused").
std::string describe_status(int status) {
  std::string text = amqp_error_string2(status);
  // EINPROGRESS is what a non-blocking connect leaves behind, not why it failed.
  if ((status == AMQP_STATUS_SOCKET_ERROR || status == AMQP_STATUS_TCP_ERROR) && errno != 0 &&
      errno != EINPROGRESS) {
    text += fmt::format(" ({})", std::strerror(errno));
  }
  return text;
}

} // namespace

struct AmqpSession::State {
  explicit State(AmqpAddress address_) : address(std::move(address_)) {}
  ~State() {
    if (connection == nullptr) {
      return;
    }
    if (!socket_dead) {
      // Polite, so that RabbitMQ logs no "unexpectedly closed" warning; bounded because the
      // broker may be the reason we are closing.
      timeval quick{1, 0};
      amqp_set_rpc_timeout(connection, &quick);
      amqp_connection_close(connection, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(connection);
  }

  Error fail(const std::string& what) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("RabbitMQ at {}: {}", address.describe(), what));
  }

  Error fail_status(int status, std::string_view doing) {
    auto reason = describe_status(status);
    socket_dead = true;
    return fail(fmt::format("{}: {}", doing, reason));
  }

  // Answers the broker's close, so that it can release the channel or connection at once.
  void acknowledge_close(const amqp_method_t& method, amqp_channel_t channel) {
    if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      amqp_connection_close_ok_t ok{};
      amqp_send_method(connection, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      socket_dead = true;
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      amqp_channel_close_ok_t ok{};
      amqp_send_method(connection, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    }
  }

  static std::string describe_close(const amqp_method_t& method) {
    if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
      return fmt::format("RabbitMQ closed the connection: {} {}", close->reply_code,
                         text_of(close->reply_text));
    }
    if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
      return fmt::format("RabbitMQ closed the channel: {} {}", close->reply_code,
                         text_of(close->reply_text));
    }
    return fmt::format("unexpected method 0x{:08x}", method.id);
  }

  Result<void> check(const amqp_rpc_reply_t& reply, std::string_view doing) {
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return {};
    case AMQP_RESPONSE_SERVER_EXCEPTION: {
      auto reason = describe_close(reply.reply);
      acknowledge_close(reply.reply, k_channel);
      return fail(fmt::format("{}: {}", doing, reason));
    }
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return fail_status(reply.library_error, doing);
    case AMQP_RESPONSE_NONE:
      break;
    }
    socket_dead = true;
    return fail(fmt::format("{}: no reply", doing));
  }

  Result<void> check_status(int status, std::string_view doing) {
    if (status == AMQP_STATUS_OK) {
      return {};
    }
    return fail_status(status, doing);
  }

  // One method frame turned into an event; nullopt for those the owner has no use for.
  Result<std::optional<AmqpEvent>> decode(const amqp_frame_t& frame) {
    const auto& method = frame.payload.method;
    switch (method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
      auto* deliver = static_cast<const amqp_basic_deliver_t*>(method.decoded);
      // Copied now: reading the content reuses the memory `deliver` points into.
      AmqpDelivered delivered{text_of(deliver->consumer_tag), deliver->delivery_tag, {}};
      amqp_message_t message;
      auto read = amqp_read_message(connection, frame.channel, &message, 0);
      if (auto ok = check(read, "reading a delivery"); !ok) {
        return ok.error(); // amqp_read_message frees the message itself when it fails
      }
      delivered.body = text_of(message.body);
      amqp_destroy_message(&message);
      return AmqpEvent{std::move(delivered)};
    }
    case AMQP_BASIC_ACK_METHOD: {
      auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      return AmqpEvent{AmqpConfirmed{ack->delivery_tag, ack->multiple != 0, true}};
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
      return AmqpEvent{AmqpConfirmed{nack->delivery_tag, nack->multiple != 0, false}};
    }
    case AMQP_BASIC_CANCEL_OK_METHOD: {
      auto* cancel_ok = static_cast<const amqp_basic_cancel_ok_t*>(method.decoded);
      return AmqpEvent{AmqpConsumerEnded{text_of(cancel_ok->consumer_tag)}};
    }
    case AMQP_BASIC_CANCEL_METHOD: {
      auto* cancel = static_cast<const amqp_basic_cancel_t*>(method.decoded);
      return AmqpEvent{AmqpConsumerEnded{text_of(cancel->consumer_tag)}};
    }
    case AMQP_BASIC_RETURN_METHOD: {
      // Nothing is published as mandatory, so nothing should come back; drop its content.
      amqp_message_t message;
      auto read = amqp_read_message(connection, frame.channel, &message, 0);
      if (auto ok = check(read, "reading a returned message"); !ok) {
        return ok.error();
      }
      amqp_destroy_message(&message);
      return std::optional<AmqpEvent>();
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: {
      auto reason = describe_close(method);
      acknowledge_close(method, frame.channel);
      return fail(reason);
    }
    default: // connection.blocked and unblocked, and what a newer broker may add
      return std::optional<AmqpEvent>();
    }
  }

  AmqpAddress address;
  amqp_connection_state_t connection = nullptr;
  bool socket_dead = false; // no polite close is possible
  std::uint64_t last_published = 0;
};

AmqpSession::AmqpSession(std::unique_ptr<State> state) : m_state(std::move(state)) {}

AmqpSession::~AmqpSession() = default;

Result<std::unique_ptr<AmqpSession>> AmqpSession::open(const AmqpAddress& address) {
  auto state = std::make_unique<State>(address);
  auto& s = *state;
  s.connection = amqp_new_connection();
  amqp_socket_t* socket = s.connection == nullptr ? nullptr : amqp_tcp_socket_new(s.connection);
  if (socket == nullptr) {
    s.socket_dead = true;
    return s.fail("cannot create a connection (out of memory)");
  }
  auto io_timeout = timeval_of(k_io_timeout);
  errno = 0;
  if (auto ok = s.check_status(
          amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &io_timeout),
          "connecting");
      !ok) {
    return ok.error();
  }
  amqp_set_handshake_timeout(s.connection, &io_timeout);
  amqp_set_rpc_timeout(s.connection, &io_timeout);
  auto login = amqp_login(s.connection, address.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
                          static_cast<int>(k_heartbeat.count()), AMQP_SASL_METHOD_PLAIN,
                          address.user.c_str(), address.password.c_str());
  if (auto ok = s.check(login, fmt::format("logging in as {}", address.user)); !ok) {
    return ok.error();
  }
  amqp_channel_open(s.connection, k_channel);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "opening a channel"); !ok) {
    return ok.error();
  }
  amqp_confirm_select(s.connection, k_channel);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "selecting publisher confirms"); !ok) {
    return ok.error();
  }
  // Per consumer (global = false): a waiting take holds at most one message per queue.
  amqp_basic_qos(s.connection, k_channel, 0, 1, 0);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "setting the prefetch"); !ok) {
    return ok.error();
  }
  return std::unique_ptr<AmqpSession>(new AmqpSession(std::move(state)));
}

int AmqpSession::socket() const {
  return amqp_get_sockfd(m_state->connection);
}

bool AmqpSession::has_buffered_input() const {
  return amqp_frames_enqueued(m_state->connection) != 0 ||
         amqp_data_in_buffer(m_state->connection) != 0;
}

Result<std::optional<AmqpEvent>> AmqpSession::next_event() {
  auto& s = *m_state;
  for (;;) {
    amqp_frame_t frame;
    // Not zero: librabbitmq checks the broker's heartbeat deadline only against a real one.
    timeval almost_now{0, 1};
    int status = amqp_simple_wait_frame_noblock(s.connection, &frame, &almost_now);
    if (status == AMQP_STATUS_TIMEOUT) {
      return std::optional<AmqpEvent>();
    }
    if (status != AMQP_STATUS_OK) {
      return s.fail_status(status, "reading");
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) {
      continue; // stray content of a message nobody waits for
    }
    auto event = s.decode(frame);
    amqp_maybe_release_buffers(s.connection);
    if (!event || *event) {
      return event;
    }
  }
}

Result<std::int64_t> AmqpSession::declare_queue(const std::string& name) {
  auto& s = *m_state;
  auto* declared =
      amqp_queue_declare(s.connection, k_channel, bytes_of(name), 0, 1, 0, 0, amqp_empty_table);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "declaring queue " + name); !ok) {
    return ok.error();
  }
  return static_cast<std::int64_t>(declared->message_count);
}

Result<void> AmqpSession::declare_fanout_exchange(const std::string& name) {
  auto& s = *m_state;
  amqp_exchange_declare(s.connection, k_channel, bytes_of(name), bytes_of("fanout"), 0, 1, 0, 0,
                        amqp_empty_table);
  return s.check(amqp_get_rpc_reply(s.connection), "declaring exchange " + name);
}

Result<std::string> AmqpSession::declare_private_queue(const std::string& exchange) {
  auto& s = *m_state;
  auto* declared =
      amqp_queue_declare(s.connection, k_channel, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "declaring a private queue"); !ok) {
    return ok.error();
  }
  auto name = text_of(declared->queue);
  amqp_queue_bind(s.connection, k_channel, bytes_of(name), bytes_of(exchange), amqp_empty_bytes,
                  amqp_empty_table);
  if (auto ok = s.check(amqp_get_rpc_reply(s.connection), "binding a queue to " + exchange); !ok) {
    return ok.error();
  }
  return name;
}

Result<void> AmqpSession::consume(const std::string& queue, const std::string& consumer_tag,
                                  bool auto_ack) {
  auto& s = *m_state;
  amqp_basic_consume(s.connection, k_channel, bytes_of(queue), bytes_of(consumer_tag), 0,
                     auto_ack ? 1 : 0, 0, amqp_empty_table);
  return s.check(amqp_get_rpc_reply(s.connection), "consuming from " + queue);
}

Result<void> AmqpSession::cancel(const std::string& consumer_tag) {
  amqp_basic_cancel_t cancel{bytes_of(consumer_tag), 0};
  return m_state->check_status(
      amqp_send_method(m_state->connection, k_channel, AMQP_BASIC_CANCEL_METHOD, &cancel),
      "cancelling a consumer");
}

Result<std::uint64_t> AmqpSession::publish(const std::string& exchange,
                                           const std::string& routing_key, std::string_view body,
                                           bool persistent) {
  auto& s = *m_state;
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  properties.content_type = amqp_cstring_bytes("application/json");
  properties.delivery_mode = persistent ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT;
  if (auto ok = s.check_status(amqp_basic_publish(s.connection, k_channel, bytes_of(exchange),
                                                  bytes_of(routing_key), 0, 0, &properties,
                                                  bytes_of(body)),
                               "publishing");
      !ok) {
    return ok.error();
  }
  // In confirm mode the broker numbers the channel's publishes 1, 2, … in order.
  return ++s.last_published;
}

Result<void> AmqpSession::ack(std::uint64_t delivery_tag) {
  return m_state->check_status(amqp_basic_ack(m_state->connection, k_channel, delivery_tag, 0),
                               "acknowledging");
}

Result<void> AmqpSession::reject(std::uint64_t delivery_tag, bool requeue) {
  return m_state->check_status(
      amqp_basic_reject(m_state->connection, k_channel, delivery_tag, requeue ? 1 : 0),
      "rejecting");
}

} // namespace cicd::queue

#include "amqp_connection.hpp"

#include "cicd/core/log.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace cicd::queue {
namespace {

using Clock = std::chrono::steady_clock;

// A session that lived shorter than this failed right after it was made (say, a declare the
// broker refuses): reconnecting at once would spin, so it backs off like a failed connect.
constexpr auto k_stable_session = std::chrono::seconds(5);
// A broker that stays down is logged again this often, not at every attempt.
constexpr int k_attempts_between_logs = 12;

} // namespace

AmqpConnection::AmqpConnection(AmqpAddress address, Listener& listener)
    : m_address(std::move(address)), m_listener(listener),
      m_offline(make_error(ErrorCode::unavailable,
                           "RabbitMQ at " + m_address.describe() + ": not connected yet")) {
  m_wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_wake_fd < 0) {
    throw std::system_error(errno, std::generic_category(), "eventfd for the RabbitMQ thread");
  }
  m_thread = std::thread([this] { run(); });
}

AmqpConnection::~AmqpConnection() {
  m_closing = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(m_wake_fd, &one, sizeof one);
  m_thread.join();
  ::close(m_wake_fd);
}

void AmqpConnection::post(Work work) {
  {
    std::lock_guard lock(m_mutex);
    m_posted.push_back(std::move(work));
  }
  std::uint64_t one = 1;
  // Cannot fail short of a bug: the counter would have to reach 2^64 - 1.
  [[maybe_unused]] auto written = ::write(m_wake_fd, &one, sizeof one);
}

Error AmqpConnection::offline_error() const {
  std::lock_guard lock(m_mutex);
  return m_offline;
}

void AmqpConnection::set_offline(Error reason) {
  std::lock_guard lock(m_mutex);
  m_offline = std::move(reason);
}

std::deque<AmqpConnection::Work> AmqpConnection::take_posted() {
  std::lock_guard lock(m_mutex);
  return std::exchange(m_posted, {});
}

bool AmqpConnection::has_posted() {
  std::lock_guard lock(m_mutex);
  return !m_posted.empty();
}

void AmqpConnection::sleep_until_woken(int socket, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{m_wake_fd, POLLIN, 0}, {socket, POLLIN, 0}};
  // A negative fd is ignored by poll(), so without a socket only the wake-up counts.
  ::poll(fds, 2, static_cast<int>(timeout.count()));
  std::uint64_t count = 0;
  [[maybe_unused]] auto read = ::read(m_wake_fd, &count, sizeof count);
}

void AmqpConnection::run() {
  auto backoff = k_first_backoff;
  int failed_attempts = 0;
  while (!m_closing) {
    auto opened = AmqpSession::open(m_address);
    if (!opened) {
      ++failed_attempts;
      if (failed_attempts % k_attempts_between_logs == 1) {
        log::warn("{}; retrying every {} s at most while it is down", opened.error().message,
                  std::chrono::duration_cast<std::chrono::seconds>(k_max_backoff).count());
      }
      set_offline(opened.error());
      wait_offline(backoff);
      backoff = std::min(backoff * 2, k_max_backoff);
      continue;
    }
    log::info("connected to RabbitMQ at {}", m_address.describe());
    failed_attempts = 0;
    auto connected_at = Clock::now();
    auto session = std::move(*opened);
    auto served = serve(*session);
    if (served) {
      break; // closing: the session closes politely on its way out
    }
    log::warn("{}; reconnecting", served.error().message);
    session.reset();
    set_offline(served.error());
    m_listener.on_lost(served.error());
    if (Clock::now() - connected_at < k_stable_session) {
      wait_offline(backoff);
      backoff = std::min(backoff * 2, k_max_backoff);
    } else {
      backoff = k_first_backoff;
    }
  }
  auto closing = make_error(ErrorCode::unavailable, "the RabbitMQ queue is closing");
  set_offline(closing);
  m_listener.on_lost(closing);
  for (auto& work : take_posted()) {
    work(nullptr);
  }
}

Result<void> AmqpConnection::serve(AmqpSession& session) {
  if (auto ok = m_listener.on_connected(session); !ok) {
    return ok;
  }
  for (;;) {
    // Posted work first: an ack or a cancel there changes what the broker sends next. Also
    // when closing: an ack posted just before must reach the broker, or it redelivers.
    for (auto& work : take_posted()) {
      if (auto ok = work(&session); !ok) {
        return ok;
      }
    }
    if (m_closing) {
      return {};
    }
    // Then everything that has arrived. This also sends a heartbeat when one is due.
    for (;;) {
      auto event = session.next_event();
      if (!event) {
        return event.error();
      }
      if (!*event) {
        break;
      }
      if (auto ok = m_listener.on_event(session, std::move(**event)); !ok) {
        return ok;
      }
    }
    if (!has_posted() && !session.has_buffered_input()) {
      sleep_until_woken(session.socket(), k_tick);
    }
  }
}

void AmqpConnection::wait_offline(std::chrono::milliseconds pause) {
  auto until = Clock::now() + pause;
  while (!m_closing) {
    for (auto& work : take_posted()) {
      work(nullptr);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) {
      return;
    }
    sleep_until_woken(-1, left);
  }
}

} // namespace cicd::queue

#include "socket_stream.hpp"

#include "libgit2_handles.hpp"

#include "cicd/core/error.hpp"

#include <git2/sys/stream.h>
#include <git2/version.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace cicd::git {
namespace {

std::atomic<long long> g_connect_ms{NetworkTimeouts{}.connect.count()};
std::atomic<long long> g_idle_ms{NetworkTimeouts{}.idle.count()};

// libgit2's git_socket_stream, field for field: its SSH transport takes the socket out of
// whatever standard stream is registered through that struct.
struct DeadlineStream {
  git_stream parent;
  char* host;
  char* port;
  int socket;
};
static_assert(std::is_standard_layout_v<DeadlineStream>);
// That struct is libgit2's own business: checked against 1.5's source, so a build against
// another version stops here until it is checked again.
static_assert(
    LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR == 5,
    "check DeadlineStream against this libgit2's git_socket_stream (src/libgit2/streams/socket.h)");

DeadlineStream& stream_of(git_stream* stream) {
  return *reinterpret_cast<DeadlineStream*>(stream);
}

thread_local std::string t_last_failure;

int fail(const std::string& message) {
  t_last_failure = message;
  git_error_set_str(GIT_ERROR_NET, message.c_str());
  return -1;
}

std::string seconds(long long milliseconds) {
  return std::to_string((milliseconds + 999) / 1000) + " s";
}

// Waits until `socket` is ready for `events`. False with errno ETIMEDOUT after the timeout.
bool wait_for(int socket, short events, long long timeout_ms) {
  pollfd ready{socket, events, 0};
  for (;;) {
    int count = ::poll(&ready, 1, static_cast<int>(timeout_ms));
    if (count > 0) {
      return true;
    }
    if (count == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) {
      return false;
    }
  }
}

// Notices a peer that is gone, also on SSH connections whose reads this stream never sees.
void keep_alive(int socket, long long idle_ms) {
  int on = 1;
  int idle_seconds = 15;
  int interval_seconds = 5;
  int probes = 4;
  auto unacknowledged_ms = static_cast<unsigned>(idle_ms);
  ::setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, &idle_seconds, sizeof idle_seconds);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, &interval_seconds, sizeof interval_seconds);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  ::setsockopt(socket, IPPROTO_TCP, TCP_USER_TIMEOUT, &unacknowledged_ms, sizeof unacknowledged_ms);
}

// A connected socket, blocking like libgit2's own, or -1 with errno set.
int connect_to(const addrinfo& address, long long timeout_ms) {
  int socket = ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        address.ai_protocol);
  if (socket < 0) {
    return -1;
  }
  int error = 0;
  if (::connect(socket, address.ai_addr, address.ai_addrlen) != 0) {
    socklen_t size = sizeof error;
    if (errno != EINPROGRESS || !wait_for(socket, POLLOUT, timeout_ms)) {
      error = errno;
    } else if (::getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
      error = errno;
    }
  }
  if (error != 0) {
    ::close(socket);
    errno = error;
    return -1;
  }
  ::fcntl(socket, F_SETFL, ::fcntl(socket, F_GETFL) & ~O_NONBLOCK);
  return socket;
}

int stream_connect(git_stream* stream) {
  auto& self = stream_of(stream);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int code = ::getaddrinfo(self.host, self.port, &hints, &found); code != 0) {
    return fail(std::string("failed to resolve address for ") + self.host + ": " +
                ::gai_strerror(code));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  long long timeout_ms = g_connect_ms;
  int error = 0;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    self.socket = connect_to(*address, timeout_ms);
    if (self.socket >= 0) {
      keep_alive(self.socket, g_idle_ms);
      return 0;
    }
    error = errno;
  }
  return fail(std::string("failed to connect to ") + self.host + ": " +
              (error == ETIMEDOUT ? "no answer within " + seconds(timeout_ms)
                                  : std::string(std::strerror(error))));
}

ssize_t stream_read(git_stream* stream, void* data, size_t size) {
  auto& self = stream_of(stream);
  long long idle_ms = g_idle_ms;
  for (;;) {
    ssize_t got = ::recv(self.socket, data, size, MSG_DONTWAIT);
    if (got >= 0) {
      return got;
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(self.socket, POLLIN, idle_ms)) {
      return fail(errno == ETIMEDOUT
                      ? std::string(self.host) + " sent nothing for " + seconds(idle_ms)
                      : std::string("error receiving data from ") + self.host + ": " +
                            std::strerror(errno));
    }
  }
}

ssize_t stream_write(git_stream* stream, const char* data, size_t size, int /*flags*/) {
  auto& self = stream_of(stream);
  long long idle_ms = g_idle_ms;
  for (;;) {
    // Partial writes are fine: libgit2 writes the rest.
    ssize_t sent = ::send(self.socket, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) {
      return sent;
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(self.socket, POLLOUT, idle_ms)) {
      return fail(errno == ETIMEDOUT
                      ? std::string(self.host) + " took nothing for " + seconds(idle_ms)
                      : std::string("error sending data to ") + self.host + ": " +
                            std::strerror(errno));
    }
  }
}

int stream_close(git_stream* stream) {
  auto& self = stream_of(stream);
  if (self.socket >= 0) {
    ::close(self.socket);
    self.socket = -1;
  }
  return 0;
}

void stream_free(git_stream* stream) {
  stream_close(stream);
  auto* self = &stream_of(stream);
  std::free(self->host);
  std::free(self->port);
  delete self;
}

int stream_init(git_stream** out, const char* host, const char* port) {
  auto* self = new (std::nothrow) DeadlineStream{};
  if (self == nullptr) {
    git_error_set_oom();
    return -1;
  }
  self->parent.version = GIT_STREAM_VERSION;
  self->parent.connect = &stream_connect;
  self->parent.read = &stream_read;
  self->parent.write = &stream_write;
  self->parent.close = &stream_close;
  self->parent.free = &stream_free;
  self->host = ::strdup(host);
  self->port = ::strdup(port != nullptr ? port : "");
  self->socket = -1;
  if (self->host == nullptr || self->port == nullptr) {
    stream_free(&self->parent);
    git_error_set_oom();
    return -1;
  }
  *out = &self->parent;
  return 0;
}

} // namespace

void register_socket_stream() {
  static git_stream_registration registration{GIT_STREAM_VERSION, &stream_init, nullptr};
  if (git_stream_register(GIT_STREAM_STANDARD, &registration) != 0) {
    throw Fatal("cannot give libgit2 a socket stream with timeouts: " + last_error_text());
  }
}

std::string take_stream_failure() {
  return std::exchange(t_last_failure, std::string());
}

void set_network_timeouts(NetworkTimeouts timeouts) {
  g_connect_ms = timeouts.connect.count();
  g_idle_ms = timeouts.idle.count();
}

NetworkTimeouts network_timeouts() {
  return {std::chrono::milliseconds(g_connect_ms), std::chrono::milliseconds(g_idle_ms)};
}

} // namespace cicd::git

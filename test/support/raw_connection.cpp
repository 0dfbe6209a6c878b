#include "support/raw_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

namespace cicd::test {

int connect_loopback(std::uint16_t port, std::chrono::seconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  timeval limit{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit); // also bounds connect
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

RawConnection::RawConnection(std::uint16_t port)
    : m_fd(connect_loopback(port, std::chrono::seconds(5))) {}

RawConnection::~RawConnection() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

bool RawConnection::send(std::string_view bytes) const {
  return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds wait, bool& closed) const {
  using std::chrono::steady_clock;
  std::string got;
  closed = false;
  auto until = steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady_clock::now());
    pollfd readable{m_fd, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 50))) > 0) {
      char buffer[4096];
      auto n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed = true;
        return got;
      }
      got.append(buffer, static_cast<std::size_t>(n));
    }
    if (steady_clock::now() >= until) {
      return got;
    }
  }
}

} // namespace cicd::test

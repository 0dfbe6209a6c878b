#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace cicd::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

} // namespace

TcpProxy::TcpProxy(std::uint16_t target_port) : m_target_port(target_port) {
  m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (m_listener < 0 ||
      ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listener, 64) != 0 ||
      ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("the test proxy cannot listen on 127.0.0.1");
  }
  m_port = ntohs(address.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  m_stopping = true;
  ::shutdown(m_listener, SHUT_RDWR);
  cut();
  m_acceptor.join();
  for (auto& thread : m_threads) {
    thread.join();
  }
  ::close(m_listener);
}

int TcpProxy::cut() {
  std::lock_guard lock(m_mutex);
  for (int fd : m_open) {
    ::shutdown(fd, SHUT_RDWR); // the relay thread sees it and closes both
  }
  return static_cast<int>(m_open.size()) / 2;
}

void TcpProxy::accept_loop() {
  while (!m_stopping) {
    pollfd waiting{m_listener, POLLIN, 0};
    if (::poll(&waiting, 1, 100) <= 0) {
      continue;
    }
    int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto target = loopback(m_target_port);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      ::close(client);
      if (server >= 0) {
        ::close(server);
      }
      continue;
    }
    ++m_accepted;
    std::lock_guard lock(m_mutex);
    m_open.push_back(client);
    m_open.push_back(server);
    m_threads.emplace_back([this, client, server] { relay(client, server); });
  }
}

void TcpProxy::relay(int client, int server) {
  char buffer[16 * 1024];
  pollfd both[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  bool open = true;
  while (open && !m_stopping) {
    if (::poll(both, 2, 100) <= 0) {
      continue;
    }
    for (int i = 0; i < 2 && open; ++i) {
      if ((both[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      auto got = ::read(both[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        open = false;
        break;
      }
      int to = both[1 - i].fd;
      for (ssize_t sent = 0; sent < got;) {
        auto n = ::send(to, buffer + sent, static_cast<std::size_t>(got - sent), MSG_NOSIGNAL);
        if (n <= 0) {
          open = false;
          break;
        }
        sent += n;
      }
    }
  }
  std::lock_guard lock(m_mutex);
  m_open.erase(std::remove_if(m_open.begin(), m_open.end(),
                              [&](int fd) { return fd == client || fd == server; }),
               m_open.end());
  ::close(client);
  ::close(server);
}

} // namespace cicd::test

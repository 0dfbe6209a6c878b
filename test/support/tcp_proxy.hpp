#pragma once
// A TCP relay on 127.0.0.1 in front of another local port, whose live connections the test
// can cut at any moment (a dropped network, a proxy timing out) while new ones keep working.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace cicd::test {

// Thread safety: cut() may be called from any thread.
class TcpProxy {
public:
  explicit TcpProxy(std::uint16_t target_port);
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  ~TcpProxy();

  std::uint16_t port() const { return m_port; }
  // Closes every connection open now (both sides); returns how many.
  int cut();
  int connections_accepted() const { return m_accepted; }

private:
  void accept_loop();
  void relay(int client, int server);

  std::uint16_t m_target_port;
  std::uint16_t m_port = 0;
  int m_listener = -1;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_accepted{0};
  std::mutex m_mutex;
  std::vector<int> m_open; // sockets of live connections
  std::vector<std::thread> m_threads;
  std::thread m_acceptor;
};

} // namespace cicd::test

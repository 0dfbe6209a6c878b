#pragma once
// An HTTP/1.1 server on Boost.Beast: keep-alive, a deadline on every read and write, body and
// header limits, and handlers run on a pool of their own so that a slow database call never
// stalls the sockets. Malformed requests are answered with problem+json and the connection
// closed.

#include "cicd/http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cicd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;            // 0: any free port (see Server::port())
  std::size_t body_limit = 1024 * 1024; // larger bodies: 413
  std::size_t header_limit = 16 * 1024; // larger headers: 431
  // From a request's first byte to its last (a client trickling bytes is cut off: slowloris).
  std::chrono::seconds read_timeout{30};
  // Waiting for a request's first byte, on a new or a kept-alive connection.
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds write_timeout{30};
  // Connections open at once; one more is answered 503 and closed.
  std::size_t max_connections = 10000;
  int io_threads = 0;       // 0: one per core
  int handler_threads = 16; // blocking work (database calls)
};

using Handler = std::function<Reply(Request&&)>;

// Thread safety: run() blocks the calling thread; stop() may be called from any thread or a
// signal handler set up by the caller through on_signal().
class Server {
public:
  // Binds and listens; throws Fatal when the address cannot be used.
  Server(ServerOptions options, Handler handler);
  ~Server();

  std::uint16_t port() const;
  // Serves until stop() or until one of SIGINT/SIGTERM arrives.
  void run();
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace cicd::http

#pragma once
// An HTTP/1.1 server on Boost.Beast: keep-alive, a deadline on every read and write, body and
// header limits, and handlers run on a pool of their own so that a slow database call never
// stalls the sockets. Malformed requests are answered with problem+json and the connection
// closed. With a certificate and key it serves HTTPS only (TLS 1.2+, reloaded on SIGHUP).

#include "cicd/http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cicd::http {

// HTTPS: both files PEM; the certificate file may hold the chain after the certificate.
struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;              // 0: any free port (see Server::port())
  std::size_t body_limit = 1024UL * 1024; // larger bodies: 413
  std::size_t header_limit = 16UL * 1024; // larger headers: 431
  // From a request's first byte to its last (a client trickling bytes is cut off: slowloris).
  std::chrono::seconds read_timeout{30};
  // Waiting for a request's first byte, on a new or a kept-alive connection.
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds write_timeout{30};
  // Connections open at once; one more is answered 503 and closed.
  std::size_t max_connections = 10000;
  TlsOptions tls; // empty: plain HTTP. read_timeout bounds the TLS handshake too.
  // Peers (CIDRs) whose X-Forwarded-Proto/-Host/-For are believed: TLS-terminating proxies.
  // Everyone else's are removed before the handler sees the request.
  std::vector<std::string> trusted_proxies;
  int io_threads = 0;       // 0: one per core
  int handler_threads = 16; // blocking work (database calls)
};

using Handler = std::function<Reply(Request&&)>;

// Whether the request came over HTTPS: directly, or through a trusted proxy that said so.
// Cookies set in an answer to such a request are made Secure by the server.
bool request_is_https(const Request& request);

// Thread safety: run() blocks the calling thread; stop() may be called from any thread.
class Server {
public:
  // Binds and listens; throws Fatal when the address cannot be used, a certificate or key
  // cannot be loaded (naming the file) or a trusted proxy is not an address or CIDR.
  Server(ServerOptions options, Handler handler);
  ~Server();

  std::uint16_t port() const;
  // Serves until stop() or until one of SIGINT/SIGTERM arrives. With TLS, SIGHUP reloads the
  // certificate and key: new connections get the new ones, open connections carry on; files
  // that do not load leave the old ones in use (and one line in the log).
  void run();
  // The SHA-256 fingerprint (hex) of the certificate new connections get; empty without TLS.
  std::string tls_fingerprint() const;
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace cicd::http

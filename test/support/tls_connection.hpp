#pragma once
// A blocking TLS client on OpenSSL for tests: one connection to 127.0.0.1, a chosen protocol
// version range, the server's certificate (fingerprint), and keep-alive GET requests on the
// same connection (what a certificate reload must not break).

#include "support/http_client.hpp"

#include <cstdint>
#include <string>

namespace cicd::test {

struct TlsConnectionOptions {
  std::string ca_file; // verify the server against it (and 127.0.0.1); empty: no verification
  int min_version = 0; // TLS1_VERSION…TLS1_3_VERSION; 0: OpenSSL's default
  int max_version = 0;
};

// Thread safety: none.
class TlsConnection {
public:
  // Connects and completes the handshake within 10 s; throws std::runtime_error with
  // OpenSSL's reason when it fails.
  TlsConnection(std::uint16_t port, const TlsConnectionOptions& options);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  std::string peer_fingerprint() const; // SHA-256, lower-case hex
  std::string protocol() const;         // "TLSv1.3"
  // GET `target` with keep-alive; reads a response with a Content-Length body. Throws
  // std::runtime_error when the connection fails or closes.
  HttpResponse get(const std::string& target, const HttpHeaders& headers = {});

private:
  void connect(std::uint16_t port, const TlsConnectionOptions& options);
  void close();

  int m_fd = -1;
  void* m_context = nullptr; // SSL_CTX*
  void* m_ssl = nullptr;     // SSL*
};

} // namespace cicd::test

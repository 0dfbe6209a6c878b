#pragma once
// The server's TLS settings: a certificate chain and its private key (PEM files), TLS 1.2 and
// 1.3 only, ECDHE with AEAD ciphers for 1.2, no compression, no renegotiation. reload() reads
// the files again (SIGHUP); connections keep the context they started with, so an open
// connection carries on under the old certificate while new ones get the new.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace cicd::http {

// Thread safety: current() and reload() may be called from any thread.
class TlsContext {
public:
  // Loads the files; throws Fatal naming the file that cannot be read or does not fit.
  TlsContext(std::string cert_file, std::string key_file);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Loads the files again. On failure the current context stays, and the reason is returned
  // (empty on success).
  std::string reload();
  // The SHA-256 fingerprint of the certificate in use, hex (for the log).
  std::string fingerprint() const;

private:
  std::string m_cert_file;
  std::string m_key_file;
  mutable std::mutex m_mutex;
  std::shared_ptr<boost::asio::ssl::context> m_context;
  std::string m_fingerprint;
};

} // namespace cicd::http

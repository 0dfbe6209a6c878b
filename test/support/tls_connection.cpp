#include "support/tls_connection.hpp"

#include "support/raw_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace cicd::test {
namespace {

std::string openssl_error(const std::string& what) {
  std::string reason;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reason = text;
  }
  return what + ": " + (reason.empty() ? "connection closed" : reason);
}

} // namespace

TlsConnection::TlsConnection(std::uint16_t port, const TlsConnectionOptions& options) {
  try {
    connect(port, options);
  } catch (...) {
    close();
    throw;
  }
}

void TlsConnection::connect(std::uint16_t port, const TlsConnectionOptions& options) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  m_context = context;
  if (options.min_version != 0 && options.min_version < TLS1_2_VERSION) {
    // Let this client speak the old versions at all, so that it is the server that refuses.
    SSL_CTX_set_security_level(context, 0);
    SSL_CTX_set_cipher_list(context, "DEFAULT:@SECLEVEL=0");
  }
  if (options.min_version != 0) {
    SSL_CTX_set_min_proto_version(context, options.min_version);
  }
  if (options.max_version != 0) {
    SSL_CTX_set_max_proto_version(context, options.max_version);
  }
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(context, options.ca_file.c_str(), nullptr) != 1) {
      throw std::runtime_error(openssl_error("loading " + options.ca_file));
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(context), "127.0.0.1");
  }
  m_fd = connect_loopback(port, std::chrono::seconds(10));
  if (m_fd < 0) {
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  SSL* ssl = SSL_new(context);
  m_ssl = ssl;
  SSL_set_fd(ssl, m_fd);
  if (SSL_connect(ssl) != 1) {
    throw std::runtime_error(openssl_error("TLS handshake"));
  }
}

TlsConnection::~TlsConnection() {
  close();
}

void TlsConnection::close() {
  if (m_ssl != nullptr) {
    SSL_free(static_cast<SSL*>(m_ssl));
    m_ssl = nullptr;
  }
  if (m_context != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(m_context));
    m_context = nullptr;
  }
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

std::string TlsConnection::peer_fingerprint() const {
  X509* cert = SSL_get0_peer_certificate(static_cast<SSL*>(m_ssl));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), digest, &size) != 1) {
    return {};
  }
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

std::string TlsConnection::protocol() const {
  return SSL_get_version(static_cast<SSL*>(m_ssl));
}

HttpResponse TlsConnection::get(const std::string& target, const HttpHeaders& headers) {
  auto* ssl = static_cast<SSL*>(m_ssl);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n";
  if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) {
    throw std::runtime_error(openssl_error("writing the request"));
  }
  std::string data;
  std::size_t head_end = std::string::npos;
  std::size_t wanted = std::string::npos;
  HttpResponse response;
  for (int reads = 0; reads < 10000; ++reads) {
    if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
      std::string head = data.substr(0, head_end);
      response.status = std::atoi(head.substr(9, 3).c_str());
      std::size_t line = head.find("\r\n");
      while (line != std::string::npos) {
        std::size_t next = head.find("\r\n", line + 2);
        std::string field =
            head.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
        auto colon = field.find(':');
        if (colon != std::string::npos) {
          auto value = field.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          response.headers.insert(field.substr(0, colon), value);
        }
        line = next;
      }
      wanted = head_end + 4 + std::strtoul(response.header("Content-Length").c_str(), nullptr, 10);
    }
    if (wanted != std::string::npos && data.size() >= wanted) {
      response.body = data.substr(head_end + 4, wanted - head_end - 4);
      return response;
    }
    char buffer[4096];
    int got = SSL_read(ssl, buffer, sizeof buffer);
    if (got <= 0) {
      throw std::runtime_error(openssl_error("reading the response"));
    }
    data.append(buffer, static_cast<std::size_t>(got));
  }
  throw std::runtime_error("the response never ended");
}

} // namespace cicd::test

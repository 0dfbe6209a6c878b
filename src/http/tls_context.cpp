#include "tls_context.hpp"

#include "cicd/core/error.hpp"
#include "cicd/core/log.hpp"

#include <fmt/format.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace cicd::http {
namespace ssl = boost::asio::ssl;

namespace {

// ECDHE key exchange with AEAD ciphers only, for TLS 1.2 (TLS 1.3's suites are all of that
// kind already).
constexpr const char* k_tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's reason for the last failure, in its words, and the error queue emptied.
std::string openssl_reason() {
  std::string reason;
  while (unsigned long code = ERR_get_error()) {
    const char* text = ERR_reason_error_string(code);
    if (text != nullptr) {
      reason = text;
    }
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

void check_readable(const std::string& option, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw Fatal(fmt::format("{} {}: cannot read it: {}", option, file, std::strerror(errno)));
  }
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// A key with a passphrase would make OpenSSL ask on the terminal: refuse it instead.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

std::unique_ptr<EVP_PKEY, KeyFree> read_key(const std::string& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    throw Fatal(fmt::format("--tls-key {}: cannot read it: {}", file, openssl_reason()));
  }
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    throw Fatal(fmt::format("--tls-key {}: not a PEM private key without a passphrase ({})", file,
                            openssl_reason()));
  }
  return key;
}

std::string sha256_fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &size) != 1) {
    return {};
  }
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

std::shared_ptr<ssl::context> load(const std::string& cert_file, const std::string& key_file,
                                   std::string& fingerprint) {
  check_readable("--tls-cert", cert_file);
  check_readable("--tls-key", key_file);
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, k_tls12_ciphers) != 1) {
    throw Fatal("OpenSSL knows none of the TLS 1.2 ciphers cicd uses: " + openssl_reason());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    throw Fatal(fmt::format("--tls-cert {}: not a PEM certificate chain ({})", cert_file,
                            openssl_reason()));
  }
  auto key = read_key(key_file);
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    throw Fatal(fmt::format("--tls-key {}: this key does not belong to the certificate in {} ({})",
                            key_file, cert_file, openssl_reason()));
  }
  X509* certificate = SSL_CTX_get0_certificate(ctx);
  if (certificate != nullptr && X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0) {
    log::warn("the certificate in {} has expired: clients will refuse it", cert_file);
  }
  fingerprint = sha256_fingerprint(certificate);
  return context;
}

} // namespace

TlsContext::TlsContext(std::string cert_file, std::string key_file)
    : m_cert_file(std::move(cert_file)), m_key_file(std::move(key_file)) {
  m_context = load(m_cert_file, m_key_file, m_fingerprint);
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard lock(m_mutex);
  return m_context;
}

std::string TlsContext::fingerprint() const {
  std::lock_guard lock(m_mutex);
  return m_fingerprint;
}

std::string TlsContext::reload() {
  try {
    std::string fingerprint;
    auto context = load(m_cert_file, m_key_file, fingerprint);
    std::lock_guard lock(m_mutex);
    m_context = std::move(context);
    m_fingerprint = std::move(fingerprint);
    return {};
  } catch (const Fatal& e) {
    return e.what();
  }
}

} // namespace cicd::http

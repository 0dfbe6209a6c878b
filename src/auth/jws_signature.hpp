#pragma once
// The key and signature mechanics of JWS (RFC 7515, algorithms from RFC 7518) on OpenSSL:
// reading a key file, parsing a PEM key, and making and checking HS256, RS256 and ES256
// signatures. Which algorithm a key implies, and what a token says, belong to token.cpp.
//
// Unless said otherwise, a function here that fails clears OpenSSL's error queue.

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::auth::detail {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Wipes a string that held key material before its memory is released.
class WipeOnExit {
public:
  explicit WipeOnExit(std::string& text) : m_text(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit();

private:
  std::string& m_text;
};

// The reason OpenSSL gave for the last failure; clears its error queue.
std::string openssl_reason();

struct PemKey {
  PkeyPtr key;             // null when `text` holds no key OpenSSL can read
  bool is_private = false; // a private key, which can sign; otherwise a public key
};

// The private key in `text`, else its public key ("BEGIN PUBLIC KEY"). An encrypted private
// key is refused rather than prompting for a passphrase. When there is no key, OpenSSL's
// error queue is left for openssl_reason().
PemKey read_pem_key(std::string_view text);

std::optional<std::string> hmac_sha256(std::string_view secret, std::string_view data);

// Whether `mac` is the HS256 MAC of `data`, compared in constant time.
bool hmac_sha256_matches(std::string_view secret, std::string_view data, std::string_view mac);

// An RSA PKCS#1 v1.5 or DER-encoded ECDSA signature over SHA-256 of `data`.
std::optional<std::string> digest_sign(EVP_PKEY* key, std::string_view data);

bool digest_verify(EVP_PKEY* key, std::string_view signature, std::string_view data);

// JWS carries ES256 signatures as r || s, 32 bytes each (RFC 7518 §3.4); OpenSSL speaks DER.
std::optional<std::string> ecdsa_der_to_raw(std::string_view der);
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw);

} // namespace cicd::auth::detail

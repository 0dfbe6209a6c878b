#include "jws_signature.hpp"

#include "cicd/core/error.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>


#include <algorithm>
#include <cerrno>
#include <system_error>

namespace cicd::auth::detail {
namespace {

constexpr std::size_t k_es256_half_size = 32; // r and s of a P-256 signature
constexpr std::size_t k_hs256_size = 32;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct EcdsaSignatureFree {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
struct BignumFree {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using DigestContextPtr = std::unique_ptr<EVP_MD_CTX, DigestContextFree>;
using EcdsaSignaturePtr = std::unique_ptr<ECDSA_SIG, EcdsaSignatureFree>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumFree>;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// A key file is never meant to be decrypted interactively; without this OpenSSL would prompt
// on the terminal for an encrypted key.
int refuse_passphrase(char*, int, int, void*) {
  return -1;
}

} // namespace

void PkeyFree::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

WipeOnExit::~WipeOnExit() {
  OPENSSL_cleanse(m_text.data(), m_text.size());
}

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  char text[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof text);
  }
  ERR_clear_error();
  return text;
}

PemKey read_pem_key(std::string_view text) {
  PemKey pem;
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  pem.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  pem.is_private = pem.key != nullptr;
  if (!pem.key) {
    ERR_clear_error();
    bio.reset(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    pem.key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr));
  }
  return pem;
}

std::optional<std::string> hmac_sha256(std::string_view secret, std::string_view data) {
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), bytes_of(data),
           data.size(), reinterpret_cast<unsigned char*>(mac.data()), &size) == nullptr) {
    ERR_clear_error();
    return std::nullopt;
  }
  mac.resize(size);
  return mac;
}

bool hmac_sha256_matches(std::string_view secret, std::string_view data, std::string_view mac) {
  std::optional<std::string> expected = hmac_sha256(secret, data);
  // Only the length is compared in variable time, and it is public anyway.
  return expected && mac.size() == k_hs256_size && expected->size() == k_hs256_size &&
         CRYPTO_memcmp(expected->data(), mac.data(), k_hs256_size) == 0;
}

std::optional<std::string> digest_sign(EVP_PKEY* key, std::string_view data) {
  DigestContextPtr context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, bytes_of(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytes_of(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  signature.resize(size);
  return signature;
}

bool digest_verify(EVP_PKEY* key, std::string_view signature, std::string_view data) {
  DigestContextPtr context(EVP_MD_CTX_new());
  bool valid = context &&
               EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
               EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(),
                                bytes_of(data), data.size()) == 1;
  ERR_clear_error();
  return valid;
}

std::optional<std::string> ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* cursor = bytes_of(der);
  EcdsaSignaturePtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) {
    ERR_clear_error();
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string raw(2 * k_es256_half_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, k_es256_half_size) != static_cast<int>(k_es256_half_size) ||
      BN_bn2binpad(s, out + k_es256_half_size, k_es256_half_size) !=
          static_cast<int>(k_es256_half_size)) {
    ERR_clear_error();
    return std::nullopt;
  }
  return raw;
}

std::optional<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * k_es256_half_size) {
    return std::nullopt;
  }
  BignumPtr r(BN_bin2bn(bytes_of(raw), k_es256_half_size, nullptr));
  BignumPtr s(BN_bin2bn(bytes_of(raw) + k_es256_half_size, k_es256_half_size, nullptr));
  EcdsaSignaturePtr signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // The signature owns r and s now.
  r.release();
  s.release();
  int size = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (size <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(signature.get(), &out);
  return der;
}

} // namespace cicd::auth::detail

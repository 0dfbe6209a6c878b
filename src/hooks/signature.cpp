#include "cicd/hooks/signature.hpp"

#include "cicd/crypto/random.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>

namespace cicd::hooks {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size);
  return digest;
}

Digest sha256(std::string_view data) {
  Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

} // namespace

bool github_signature_matches(std::string_view header, std::string_view body,
                              std::string_view secret) {
  constexpr std::string_view k_prefix = "sha256=";
  if (secret.empty() || !header.starts_with(k_prefix) ||
      header.size() != k_prefix.size() + 2 * SHA256_DIGEST_LENGTH) {
    return false;
  }
  header.remove_prefix(k_prefix.size());
  Digest given{};
  for (std::size_t i = 0; i < given.size(); ++i) {
    int high = crypto::hex_digit_value(header[2 * i]);
    int low = crypto::hex_digit_value(header[2 * i + 1]);
    if (high < 0 || low < 0) {
      return false;
    }
    given[i] = static_cast<unsigned char>(high * 16 + low);
  }
  auto expected = hmac_sha256(secret, body);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

bool gitlab_token_matches(std::string_view token, std::string_view secret) {
  if (secret.empty() || token.empty()) {
    return false;
  }
  auto given = sha256(token);
  auto expected = sha256(secret);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

} // namespace cicd::hooks

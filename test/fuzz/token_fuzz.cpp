// Bearer tokens (auth::TokenKey::verify over base64url and jws_signature), checked with an
// HS256 secret and the RS256 and ES256 public keys of test/fuzz/keys/. The input is the token.
// Beyond not crashing: a token is accepted only when it is correctly signed, which this file
// checks on its own with OpenSSL (its own base64url, the header's "alg" equal to the key's,
// the HMAC or the RSA/ECDSA signature over the first two parts), each part being the one
// encoding of its bytes; and accepted claims are in force at `now`.

#include "cicd/auth/token.hpp"

#include "fuzz_support.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <rapidjson/document.h>

#include <array>
#include <memory>
#include <optional>

namespace {

using namespace cicd;

constexpr std::int64_t k_now = 1'800'000'000;
constexpr std::string_view k_hs256_secret = "the HS256 secret of the token fuzz target";

// Base64url without padding, written here independently of src/auth/base64url.cpp.
constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::optional<std::string> decode(std::string_view text) {
  std::string bytes;
  unsigned bits = 0;
  int held = 0;
  for (char c : text) {
    auto value = k_alphabet.find(c);
    if (value == std::string_view::npos) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<unsigned>(value);
    held += 6;
    if (held >= 8) {
      held -= 8;
      bytes += static_cast<char>((bits >> held) & 0xff);
    }
  }
  return bytes;
}

std::string encode(std::string_view bytes) {
  std::string text;
  unsigned bits = 0;
  int held = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      text += k_alphabet[(bits >> held) & 0x3f];
    }
  }
  if (held > 0) {
    text += k_alphabet[(bits << (6 - held)) & 0x3f];
  }
  return text;
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey read_public_key(const std::string& file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), BIO_free);
  fuzz::check(bio != nullptr, "cannot open " + file);
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  fuzz::check(key != nullptr, "cannot read " + file);
  return key;
}

bool digest_verifies(EVP_PKEY* key, std::string_view signature, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

// r || s (32 bytes each) as the DER OpenSSL verifies.
std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 64) {
    return std::nullopt;
  }
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  auto* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  auto* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig.get(), r, s);
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) {
    return std::nullopt;
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

struct Verifier {
  std::string algorithm;
  auth::TokenKey key;
  Pkey public_key; // RS256 and ES256
};

std::array<Verifier, 3>& verifiers() {
  static std::array<Verifier, 3> all = {
      Verifier{"HS256", auth::TokenKey::hs256(std::string(k_hs256_secret)), nullptr},
      Verifier{"RS256", auth::TokenKey::load(CICD_FUZZ_KEYS "/rs256.pub.pem"),
               read_public_key(CICD_FUZZ_KEYS "/rs256.pub.pem")},
      Verifier{"ES256", auth::TokenKey::load(CICD_FUZZ_KEYS "/es256.pub.pem"),
               read_public_key(CICD_FUZZ_KEYS "/es256.pub.pem")},
  };
  return all;
}

// Whether `token` is correctly signed for `verifier`, decided without src/auth.
bool correctly_signed(const Verifier& verifier, std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  std::array<std::string_view, 3> parts = {token.substr(0, first),
                                           token.substr(first + 1, second - first - 1),
                                           token.substr(second + 1)};
  std::array<std::string, 3> bytes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto decoded = decode(parts[i]);
    if (!decoded || encode(*decoded) != parts[i]) {
      return false; // not the one encoding of its bytes
    }
    bytes[i] = std::move(*decoded);
  }
  rapidjson::Document header;
  header.Parse(bytes[0].data(), bytes[0].size());
  if (header.HasParseError() || !header.IsObject() || !header.HasMember("alg") ||
      !header["alg"].IsString() || header["alg"].GetString() != verifier.algorithm) {
    return false;
  }
  auto signing_input = token.substr(0, second);
  const auto& signature = bytes[2];
  if (verifier.algorithm == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), k_hs256_secret.data(), static_cast<int>(k_hs256_secret.size()),
         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
         &size);
    return signature == std::string_view(reinterpret_cast<char*>(mac), size);
  }
  if (verifier.algorithm == "RS256") {
    return digest_verifies(verifier.public_key.get(), signature, signing_input);
  }
  auto der = raw_to_der(signature);
  return der && digest_verifies(verifier.public_key.get(), *der, signing_input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto token = fuzz::as_text(data, size);
  for (const auto& verifier : verifiers()) {
    auto claims = verifier.key.verify(token, k_now);
    if (!claims) {
      fuzz::check(claims.error().code == ErrorCode::unauthorized,
                  "a refused token is not unauthorized");
      // A token has dots; the fixed refusal texts have none, so they cannot contain one.
      fuzz::check(token.find('.') == std::string_view::npos ||
                      claims.error().message.find(token) == std::string::npos,
                  "the refusal echoes the token");
      continue;
    }
    fuzz::check(correctly_signed(verifier, token),
                verifier.algorithm +
                    " accepted a token that is not correctly signed: " + std::string(token));
    fuzz::check(!claims->subject.empty(), "an accepted token has no subject");
    fuzz::check(claims->expires_at > k_now - 60, "an accepted token has expired");
    fuzz::check(!claims->not_before || *claims->not_before <= k_now + 60,
                "an accepted token is not valid yet");
    if (verifier.algorithm == "HS256") {
      auto signed_again = verifier.key.sign(*claims);
      fuzz::check(signed_again && verifier.key.verify(*signed_again, k_now),
                  "the accepted claims, signed again, are refused");
    }
  }
  return 0;
}

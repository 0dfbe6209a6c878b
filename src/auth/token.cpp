#include "cicd/auth/token.hpp"

#include "base64url.hpp"
#include "cicd/crypto/random.hpp"
#include "jws_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace cicd::auth {
namespace {

enum class Algorithm { hs256, rs256, es256 };

constexpr std::int64_t k_leeway_seconds = 60; // tolerated clock skew between issuer and us
constexpr std::size_t k_max_token_size = 8192;
constexpr std::size_t k_min_secret_size = 32;
constexpr int k_min_rsa_bits = 2048;
constexpr unsigned k_json_parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

bool parse_object(rapidjson::Document& document, const std::string& text) {
  document.Parse<k_json_parse_flags>(text.data(), text.size());
  return !document.HasParseError() && document.IsObject();
}

// The member `name` of `object`, or null. (Avoids comparing rapidjson 1.1 member iterators,
// which C++20's reversed operators make ambiguous.)
const rapidjson::Value* find_member(const rapidjson::Value& object, const char* name) {
  return object.HasMember(name) ? &object[name] : nullptr;
}

std::optional<std::string_view> string_member(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* member = find_member(object, name);
  if (member == nullptr || !member->IsString()) {
    return std::nullopt;
  }
  return std::string_view(member->GetString(), member->GetStringLength());
}

// The widest known scope in a space-separated list; unknown words are ignored so that
// tokens may carry scopes meant for other services.
std::optional<Scope> widest_scope(std::string_view text) {
  std::optional<Scope> widest;
  while (!text.empty()) {
    std::size_t space = text.find(' ');
    std::optional<Scope> scope = parse_scope(text.substr(0, space));
    if (scope && (!widest || *scope > *widest)) {
      widest = scope;
    }
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return widest;
}

Error refuse(std::string_view reason) {
  return make_error(ErrorCode::unauthorized, "token refused: " + std::string(reason));
}

} // namespace

struct TokenKey::Impl {
  Algorithm algorithm = Algorithm::hs256;
  std::string secret;           // HS256 only
  detail::PkeyPtr key;          // RS256 and ES256 only
  bool has_private_key = false; // RS256 and ES256 only

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { OPENSSL_cleanse(secret.data(), secret.size()); }

  // Both throw Fatal naming `source` when the key is unusable.
  static std::unique_ptr<Impl> from_secret(std::string secret, const std::string& source);
  static std::unique_ptr<Impl> from_pem(const std::string& text, const std::string& source);

  std::optional<std::string> signature(std::string_view signing_input) const;
  bool signature_matches(std::string_view signing_input, std::string_view signature) const;
};

std::optional<std::string> TokenKey::Impl::signature(std::string_view signing_input) const {
  switch (algorithm) {
  case Algorithm::hs256:
    return detail::hmac_sha256(secret, signing_input);
  case Algorithm::rs256:
    return detail::digest_sign(key.get(), signing_input);
  case Algorithm::es256:
    if (auto der = detail::digest_sign(key.get(), signing_input)) {
      return detail::ecdsa_der_to_raw(*der);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool TokenKey::Impl::signature_matches(std::string_view signing_input,
                                       std::string_view signature) const {
  switch (algorithm) {
  case Algorithm::hs256:
    return detail::hmac_sha256_matches(secret, signing_input, signature);
  case Algorithm::rs256:
    return detail::digest_verify(key.get(), signature, signing_input);
  case Algorithm::es256:
    if (auto der = detail::ecdsa_raw_to_der(signature)) {
      return detail::digest_verify(key.get(), *der, signing_input);
    }
    return false;
  }
  return false;
}

std::unique_ptr<TokenKey::Impl> TokenKey::Impl::from_secret(std::string secret,
                                                            const std::string& source) {
  if (secret.size() < k_min_secret_size) {
    std::size_t size = secret.size();
    OPENSSL_cleanse(secret.data(), secret.size());
    throw Fatal(source + " holds " + std::to_string(size) +
                " bytes; an HS256 secret must be at least 32 bytes: create one with "
                "`openssl rand -hex 32`");
  }
  auto impl = std::make_unique<Impl>();
  impl->algorithm = Algorithm::hs256;
  impl->secret = std::move(secret);
  return impl;
}

std::unique_ptr<TokenKey::Impl> TokenKey::Impl::from_pem(const std::string& text,
                                                         const std::string& source) {
  auto impl = std::make_unique<Impl>();
  detail::PemKey pem = detail::read_pem_key(text);
  impl->key = std::move(pem.key);
  impl->has_private_key = pem.is_private;
  if (!impl->key) {
    throw Fatal(source + " is PEM but holds no private key or public key (\"BEGIN PUBLIC KEY\") " +
                "that OpenSSL can read (" + detail::openssl_reason() +
                "); a private key must be stored unencrypted, as cicd cannot ask for a passphrase");
  }
  EVP_PKEY* key = impl->key.get();
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < k_min_rsa_bits) {
      throw Fatal(source + " holds a " + std::to_string(EVP_PKEY_get_bits(key)) +
                  "-bit RSA key; RS256 needs at least 2048 bits");
    }
    impl->algorithm = Algorithm::rs256;
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[80] = "";
    std::size_t group_size = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &group_size) != 1 ||
        OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
      ERR_clear_error();
      throw Fatal(source + " holds an EC key that is not on the P-256 curve, which ES256 " +
                  "requires: create one with `openssl genpkey -algorithm EC -pkeyopt " +
                  "ec_paramgen_curve:P-256`");
    }
    impl->algorithm = Algorithm::es256;
  } else {
    const char* type = EVP_PKEY_get0_type_name(key);
    throw Fatal(source + " holds a key of type " + (type != nullptr ? type : "unknown") +
                "; only RSA (RS256) and EC P-256 (ES256) keys are supported");
  }
  return impl;
}

std::optional<Scope> parse_scope(std::string_view text) {
  if (text == "read") {
    return Scope::read;
  }
  if (text == "trigger") {
    return Scope::trigger;
  }
  if (text == "admin") {
    return Scope::admin;
  }
  return std::nullopt;
}

std::string_view to_string(Scope scope) {
  switch (scope) {
  case Scope::read:
    return "read";
  case Scope::trigger:
    return "trigger";
  case Scope::admin:
    return "admin";
  }
  return "read";
}

TokenKey TokenKey::load(const std::filesystem::path& file) {
  std::string text = crypto::read_key_file(file, "token key");
  detail::WipeOnExit wipe_text(text);
  std::string source = "the token key file " + file.string();
  if (text.find("-----BEGIN") != std::string::npos) {
    return TokenKey(Impl::from_pem(text, source));
  }
  std::size_t end = text.find_last_not_of(" \t\r\n\v\f");
  return TokenKey(
      Impl::from_secret(text.substr(0, end == std::string::npos ? 0 : end + 1), source));
}

TokenKey TokenKey::hs256(std::string secret) {
  return TokenKey(Impl::from_secret(std::move(secret), "the HS256 token secret"));
}

void TokenKey::create_hs256_file_if_absent(const std::filesystem::path& file) {
  std::string random = crypto::random_bytes(32);
  detail::WipeOnExit wipe_random(random);
  std::string text = crypto::to_hex(random) + "\n";
  detail::WipeOnExit wipe_text(text);
  crypto::write_new_key_file(file, text);
}

TokenKey::TokenKey(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
TokenKey::TokenKey(TokenKey&&) noexcept = default;
TokenKey& TokenKey::operator=(TokenKey&&) noexcept = default;
TokenKey::~TokenKey() = default;

std::string_view TokenKey::algorithm() const {
  switch (m_impl->algorithm) {
  case Algorithm::hs256:
    return "HS256";
  case Algorithm::rs256:
    return "RS256";
  case Algorithm::es256:
    return "ES256";
  }
  return "HS256";
}

bool TokenKey::can_sign() const {
  return m_impl->algorithm == Algorithm::hs256 || m_impl->has_private_key;
}

Result<Claims> TokenKey::verify(std::string_view token, std::int64_t now) const {
  if (token.size() > k_max_token_size) {
    return refuse("it is longer than 8192 characters");
  }
  std::size_t first_dot = token.find('.');
  std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return refuse("it is not three parts separated by dots");
  }
  std::optional<std::string> header_json = base64url_decode(token.substr(0, first_dot));
  std::optional<std::string> payload_json =
      base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  std::optional<std::string> signature = base64url_decode(token.substr(second_dot + 1));
  if (!header_json || !payload_json || !signature) {
    return refuse("a part is not valid base64url");
  }

  // The key alone decides the algorithm; the header may only agree with it.
  rapidjson::Document header;
  if (!parse_object(header, *header_json)) {
    return refuse("its header is not a JSON object");
  }
  std::optional<std::string_view> alg_name = string_member(header, "alg");
  if (!alg_name) {
    return refuse("its header names no algorithm (\"alg\")");
  }
  if (*alg_name == "none" || *alg_name == "None" || *alg_name == "NONE") {
    return refuse("unsigned tokens (alg \"none\") are not accepted");
  }
  if (*alg_name != algorithm()) {
    return refuse("its header names another algorithm than this server's key, which is " +
                  std::string(algorithm()));
  }
  // RFC 7515 §4.1.11: extensions marked critical must be understood, and we know none.
  if (header.HasMember("crit")) {
    return refuse("its header lists critical extensions (\"crit\"), which are not supported");
  }
  if (!m_impl->signature_matches(token.substr(0, second_dot), *signature)) {
    return refuse("its signature does not match this server's key");
  }

  rapidjson::Document payload;
  if (!parse_object(payload, *payload_json)) {
    return refuse("its payload is not a JSON object");
  }
  Claims claims;
  std::optional<std::string_view> sub = string_member(payload, "sub");
  if (!sub || sub->empty()) {
    return refuse("its \"sub\" claim is missing or empty");
  }
  claims.subject = *sub;
  std::optional<std::string_view> scope = string_member(payload, "scope");
  std::optional<Scope> widest = scope ? widest_scope(*scope) : std::nullopt;
  if (!widest) {
    return refuse("its \"scope\" claim is missing or names none of read, trigger, admin");
  }
  claims.scope = *widest;
  const rapidjson::Value* exp = find_member(payload, "exp");
  if (exp == nullptr || !exp->IsInt64()) {
    return refuse("its \"exp\" claim is missing or not an integer");
  }
  claims.expires_at = exp->GetInt64();
  if (const rapidjson::Value* iat = find_member(payload, "iat")) {
    if (!iat->IsInt64()) {
      return refuse("its \"iat\" claim is not an integer");
    }
    claims.issued_at = iat->GetInt64();
  }
  if (const rapidjson::Value* nbf = find_member(payload, "nbf")) {
    if (!nbf->IsInt64()) {
      return refuse("its \"nbf\" claim is not an integer");
    }
    claims.not_before = nbf->GetInt64();
  }
  if (claims.expires_at <= now - k_leeway_seconds) {
    return refuse("it has expired; ask for a new token");
  }
  if (claims.not_before && *claims.not_before > now + k_leeway_seconds) {
    return refuse("it is not valid yet (\"nbf\" is in the future); check the clocks");
  }
  return claims;
}

Result<std::string> TokenKey::sign(const Claims& claims) const {
  if (!can_sign()) {
    return make_error(ErrorCode::invalid_input,
                      "this token key is a public key, which verifies tokens but cannot sign "
                      "them: configure the private key to issue tokens");
  }
  if (claims.subject.empty()) {
    return make_error(ErrorCode::invalid_input, "a token needs a subject", "sub");
  }
  rapidjson::StringBuffer header;
  rapidjson::Writer<rapidjson::StringBuffer> header_writer(header);
  header_writer.StartObject();
  header_writer.Key("alg");
  header_writer.String(algorithm().data(), static_cast<rapidjson::SizeType>(algorithm().size()));
  header_writer.Key("typ");
  header_writer.String("JWT");
  header_writer.EndObject();

  rapidjson::StringBuffer payload;
  rapidjson::Writer<rapidjson::StringBuffer> payload_writer(payload);
  payload_writer.StartObject();
  payload_writer.Key("sub");
  payload_writer.String(claims.subject.data(),
                        static_cast<rapidjson::SizeType>(claims.subject.size()));
  payload_writer.Key("scope");
  std::string_view scope = to_string(claims.scope);
  payload_writer.String(scope.data(), static_cast<rapidjson::SizeType>(scope.size()));
  payload_writer.Key("iat");
  payload_writer.Int64(claims.issued_at);
  payload_writer.Key("exp");
  payload_writer.Int64(claims.expires_at);
  if (claims.not_before) {
    payload_writer.Key("nbf");
    payload_writer.Int64(*claims.not_before);
  }
  payload_writer.EndObject();

  std::string token = base64url_encode({header.GetString(), header.GetSize()}) + "." +
                      base64url_encode({payload.GetString(), payload.GetSize()});
  std::optional<std::string> signature = m_impl->signature(token);
  if (!signature) {
    return make_error(ErrorCode::internal, "signing the token failed in OpenSSL");
  }
  return token + "." + base64url_encode(*signature);
}

} // namespace cicd::auth
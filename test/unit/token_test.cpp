#include "cicd/auth/token.hpp"

#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace cicd::auth {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_now = 1'700'000'000;
const std::string k_secret = "an HS256 test secret of more than 32 bytes";
const std::string k_header_hs256 = R"({"alg":"HS256","typ":"JWT"})";

// Deliberately independent of the code under test: OpenSSL's base64, made url-safe.
std::string b64url(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(size));
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  for (char& c : text) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return text;
}

std::string b64url_decode(std::string text) {
  for (char& c : text) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  std::size_t padding = (4 - text.size() % 4) % 4;
  text.append(padding, '=');
  std::string bytes(text.size(), '\0');
  int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                             reinterpret_cast<const unsigned char*>(text.data()),
                             static_cast<int>(text.size()));
  EXPECT_GE(size, 0);
  bytes.resize(static_cast<std::size_t>(size) - padding);
  return bytes;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

// A token with arbitrary header and payload JSON, HMAC-signed with `secret`.
std::string hs256_token(std::string_view header, std::string_view payload,
                        std::string_view secret = k_secret) {
  std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + b64url(hmac_sha256(secret, input));
}

std::string payload_with(const std::string& members) {
  return R"({"sub":"alice","scope":"read","iat":)" + std::to_string(k_now) + members + "}";
}

std::string valid_payload() {
  return payload_with(R"(,"exp":)" + std::to_string(k_now + 3600));
}

Claims claims_for(Scope scope) {
  Claims claims;
  claims.subject = "alice";
  claims.scope = scope;
  claims.issued_at = k_now;
  claims.expires_at = k_now + 3600;
  return claims;
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::stringstream in(token);
  for (std::string part; std::getline(in, part, '.');) {
    parts.push_back(part);
  }
  return parts;
}

void expect_refused(const Result<Claims>& result, const std::string& token,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value()) << "accepted: " << token;
  EXPECT_EQ(result.error().code, ErrorCode::unauthorized);
  EXPECT_NE(result.error().message.find(reason), std::string::npos)
      << "message: " << result.error().message;
  for (const std::string& part : split(token)) {
    if (part.size() >= 3) {
      EXPECT_EQ(result.error().message.find(part), std::string::npos)
          << "message echoes the token: " << result.error().message;
    }
  }
}

bool is_lower_hex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text(fs::file_size(file), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

struct PemPair {
  std::string private_pem;
  std::string public_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

PemPair pem_pair(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr) {
  PemPair pair;
  BIO* bio = BIO_new(BIO_s_mem());
  static const char passphrase[] = "a passphrase";
  PEM_write_bio_PrivateKey(
      bio, key, cipher, cipher != nullptr ? (unsigned char*)passphrase : nullptr,
      cipher != nullptr ? static_cast<int>(sizeof passphrase - 1) : 0, nullptr, nullptr);
  pair.private_pem = bio_text(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  pair.public_pem = bio_text(bio);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pair;
}

PemPair rsa_pem(std::size_t bits = 2048) {
  return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}

PemPair ec_pem(const char* curve = "P-256") {
  return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

// RSA key generation is slow; every test shares one key of each kind.
const PemPair& rsa_keys() {
  static const PemPair keys = rsa_pem();
  return keys;
}

const PemPair& ec_keys() {
  static const PemPair keys = ec_pem();
  return keys;
}

class TokenTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cicd-token-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path write(const std::string& name, const std::string& content) {
    fs::path file = m_dir / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  TokenKey rs_private() { return TokenKey::load(write("rs.pem", rsa_keys().private_pem)); }
  TokenKey rs_public() { return TokenKey::load(write("rs.pub", rsa_keys().public_pem)); }
  TokenKey es_private() { return TokenKey::load(write("es.pem", ec_keys().private_pem)); }
  TokenKey es_public() { return TokenKey::load(write("es.pub", ec_keys().public_pem)); }

  fs::path m_dir;
};

void expect_roundtrip(const TokenKey& signer, const TokenKey& verifier) {
  Claims claims = claims_for(Scope::trigger);
  claims.not_before = k_now - 5;
  Result<std::string> token = signer.sign(claims);
  ASSERT_TRUE(token.has_value()) << token.error().message;
  Result<Claims> verified = verifier.verify(*token, k_now);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  const Claims& verified_claims = verified.value();
  EXPECT_EQ(verified_claims.subject, "alice");
  EXPECT_EQ(verified_claims.scope, Scope::trigger);
  EXPECT_EQ(verified_claims.issued_at, k_now);
  EXPECT_EQ(verified_claims.expires_at, k_now + 3600);
  EXPECT_EQ(verified_claims.not_before, k_now - 5);

  std::vector<std::string> parts = split(*token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(b64url_decode(parts[0]),
            R"({"alg":")" + std::string(signer.algorithm()) + R"(","typ":"JWT"})");
  EXPECT_EQ(b64url_decode(parts[1]),
            R"({"sub":"alice","scope":"trigger","iat":1700000000,"exp":1700003600,)"
            R"("nbf":1699999995})");
}

TEST(Scope, ParsesEachNameAndOrdersThem) {
  for (Scope scope : {Scope::read, Scope::trigger, Scope::admin}) {
    EXPECT_EQ(parse_scope(to_string(scope)), scope);
  }
  EXPECT_EQ(parse_scope("Admin"), std::nullopt);
  EXPECT_EQ(parse_scope("read trigger"), std::nullopt);
  EXPECT_TRUE(allows(Scope::admin, Scope::trigger));
  EXPECT_TRUE(allows(Scope::trigger, Scope::trigger));
  EXPECT_FALSE(allows(Scope::read, Scope::trigger));
}

TEST_F(TokenTest, Hs256RoundTrip) {
  TokenKey key = TokenKey::hs256(k_secret);
  EXPECT_EQ(key.algorithm(), "HS256");
  EXPECT_TRUE(key.can_sign());
  expect_roundtrip(key, key);
}

TEST_F(TokenTest, Rs256RoundTripAlsoWithThePublicKeyAlone) {
  TokenKey key = rs_private();
  EXPECT_EQ(key.algorithm(), "RS256");
  EXPECT_TRUE(key.can_sign());
  expect_roundtrip(key, key);
  expect_roundtrip(key, rs_public());
}

TEST_F(TokenTest, Es256RoundTripAlsoWithThePublicKeyAlone) {
  TokenKey key = es_private();
  EXPECT_EQ(key.algorithm(), "ES256");
  EXPECT_TRUE(key.can_sign());
  expect_roundtrip(key, key);
  expect_roundtrip(key, es_public());
}

// Other JWT libraries expect r || s; check it with OpenSSL directly.
TEST_F(TokenTest, Es256SignatureIsRawRAndS) {
  std::string token = es_private().sign(claims_for(Scope::read)).value();
  std::vector<std::string> parts = split(token);
  std::string raw = b64url_decode(parts[2]);
  ASSERT_EQ(raw.size(), 64u);

  auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* signature = ECDSA_SIG_new();
  ECDSA_SIG_set0(signature, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_size = i2d_ECDSA_SIG(signature, &der);
  ECDSA_SIG_free(signature);

  BIO* bio = BIO_new_mem_buf(ec_keys().public_pem.data(), -1);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::string input = parts[0] + "." + parts[1];
  EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key);
  EXPECT_EQ(EVP_DigestVerify(context, der, static_cast<std::size_t>(der_size),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);

  // The DER form OpenSSL produces is not a JWS signature.
  std::string der_token = input + "." + b64url(std::string(reinterpret_cast<char*>(der), der_size));
  OPENSSL_free(der);
  expect_refused(es_public().verify(der_token, k_now), der_token, "signature");
}

TEST_F(TokenTest, RefusesAlgNone) {
  TokenKey key = TokenKey::hs256(k_secret);
  for (std::string header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"None"})"}) {
    std::string unsigned_token = b64url(header) + "." + b64url(valid_payload()) + ".";
    expect_refused(key.verify(unsigned_token, k_now), unsigned_token, "\"none\"");
    // Even with a signature that would match, "none" is never accepted.
    std::string signed_token = hs256_token(header, valid_payload());
    expect_refused(key.verify(signed_token, k_now), signed_token, "\"none\"");
  }
}

TEST_F(TokenTest, RefusesAnAlgorithmOtherThanTheKeys) {
  TokenKey hs = TokenKey::hs256(k_secret);
  TokenKey rs = rs_private();
  TokenKey es = es_private();
  std::string hs_token = hs.sign(claims_for(Scope::read)).value();
  std::string rs_token = rs.sign(claims_for(Scope::read)).value();
  std::string es_token = es.sign(claims_for(Scope::read)).value();

  expect_refused(rs.verify(hs_token, k_now), hs_token, "algorithm");
  expect_refused(es.verify(hs_token, k_now), hs_token, "algorithm");
  expect_refused(hs.verify(rs_token, k_now), rs_token, "algorithm");
  expect_refused(es.verify(rs_token, k_now), rs_token, "algorithm");
  expect_refused(hs.verify(es_token, k_now), es_token, "algorithm");
  expect_refused(rs.verify(es_token, k_now), es_token, "algorithm");

  for (std::string header : {R"({"alg":"HS512"})", R"({"alg":"hs256"})", R"({"alg":5})", "{}"}) {
    std::string token = hs256_token(header, valid_payload());
    expect_refused(hs.verify(token, k_now), token, "algorithm");
  }
}

// The classic attack: HMAC-sign with the server's public key, hoping it is used as the secret.
TEST_F(TokenTest, RefusesHmacSignedWithThePublicKey) {
  for (const PemPair* pair : {&rsa_keys(), &ec_keys()}) {
    TokenKey key = TokenKey::load(write("key.pub", pair->public_pem));
    std::string token = hs256_token(k_header_hs256, valid_payload(), pair->public_pem);
    expect_refused(key.verify(token, k_now), token, "algorithm");

    std::string header = R"({"alg":")" + std::string(key.algorithm()) + R"(","typ":"JWT"})";
    std::string relabelled = hs256_token(header, valid_payload(), pair->public_pem);
    expect_refused(key.verify(relabelled, k_now), relabelled, "signature");
  }
}

TEST_F(TokenTest, RefusesCriticalHeaderExtensions) {
  TokenKey key = TokenKey::hs256(k_secret);
  std::string token = hs256_token(R"({"alg":"HS256","crit":["exp"]})", valid_payload());
  expect_refused(key.verify(token, k_now), token, "crit");
}

TEST_F(TokenTest, RefusesATamperedPayload) {
  std::vector<TokenKey> keys;
  keys.push_back(TokenKey::hs256(k_secret));
  keys.push_back(rs_private());
  keys.push_back(es_private());
  for (const TokenKey& key : keys) {
    std::vector<std::string> parts = split(key.sign(claims_for(Scope::read)).value());
    std::vector<std::string> admin = split(key.sign(claims_for(Scope::admin)).value());
    std::string token = parts[0] + "." + admin[1] + "." + parts[2];
    expect_refused(key.verify(token, k_now), token, "signature");
  }
}

TEST_F(TokenTest, RefusesATamperedSignature) {
  std::vector<TokenKey> keys;
  keys.push_back(TokenKey::hs256(k_secret));
  keys.push_back(rs_private());
  keys.push_back(es_private());
  for (const TokenKey& key : keys) {
    std::string token = key.sign(claims_for(Scope::read)).value();
    std::size_t signature_start = token.rfind('.') + 1;
    token[signature_start] = token[signature_start] == 'A' ? 'B' : 'A';
    expect_refused(key.verify(token, k_now), token, "signature");

    std::string signature = b64url_decode(token.substr(signature_start));
    std::string truncated =
        token.substr(0, signature_start) + b64url(signature.substr(0, signature.size() - 1));
    expect_refused(key.verify(truncated, k_now), truncated, "signature");

    std::string unsigned_token = token.substr(0, signature_start);
    expect_refused(key.verify(unsigned_token, k_now), unsigned_token, "signature");
  }
  // An HS256 key with another secret.
  std::string token = hs256_token(k_header_hs256, valid_payload(), k_secret + "x");
  expect_refused(TokenKey::hs256(k_secret).verify(token, k_now), token, "signature");
}

TEST_F(TokenTest, ExpiryAllowsSixtySecondsOfClockSkew) {
  TokenKey key = TokenKey::hs256(k_secret);
  auto token_expiring = [&](std::int64_t exp) {
    return hs256_token(k_header_hs256, payload_with(R"(,"exp":)" + std::to_string(exp)));
  };
  for (std::int64_t exp : {k_now - 61, k_now - 60, k_now - 100000}) {
    std::string token = token_expiring(exp);
    expect_refused(key.verify(token, k_now), token, "expired");
  }
  EXPECT_TRUE(key.verify(token_expiring(k_now - 59), k_now).has_value());
  EXPECT_TRUE(key.verify(token_expiring(k_now + 1), k_now).has_value());
}

TEST_F(TokenTest, NotBeforeAllowsSixtySecondsOfClockSkew) {
  TokenKey key = TokenKey::hs256(k_secret);
  auto token_valid_from = [&](std::int64_t nbf) {
    return hs256_token(k_header_hs256, payload_with(R"(,"exp":)" + std::to_string(k_now + 3600) +
                                                    R"(,"nbf":)" + std::to_string(nbf)));
  };
  std::string early = token_valid_from(k_now + 61);
  expect_refused(key.verify(early, k_now), early, "not valid yet");
  EXPECT_TRUE(key.verify(token_valid_from(k_now + 60), k_now).has_value());

  std::string fractional = hs256_token(
      k_header_hs256, payload_with(R"(,"exp":)" + std::to_string(k_now + 3600) + R"(,"nbf":1.5)"));
  expect_refused(key.verify(fractional, k_now), fractional, "nbf");
}

TEST_F(TokenTest, RefusesAMissingOrNonIntegerExp) {
  TokenKey key = TokenKey::hs256(k_secret);
  for (std::string members :
       {std::string(), std::string(R"(,"exp":"1700003600")"), std::string(R"(,"exp":1700003600.5)"),
        std::string(R"(,"exp":null)"), std::string(R"(,"exp":1e10)")}) {
    std::string token = hs256_token(k_header_hs256, payload_with(members));
    expect_refused(key.verify(token, k_now), token, "\"exp\"");
  }
}

TEST_F(TokenTest, RefusesAMissingOrEmptySubject) {
  TokenKey key = TokenKey::hs256(k_secret);
  std::string exp = R"("exp":)" + std::to_string(k_now + 3600);
  for (std::string payload :
       {R"({"scope":"read",)" + exp + "}", R"({"sub":"","scope":"read",)" + exp + "}",
        R"({"sub":42,"scope":"read",)" + exp + "}"}) {
    std::string token = hs256_token(k_header_hs256, payload);
    expect_refused(key.verify(token, k_now), token, "\"sub\"");
  }
}

TEST_F(TokenTest, TakesTheWidestKnownScope) {
  TokenKey key = TokenKey::hs256(k_secret);
  std::string exp = R"(,"exp":)" + std::to_string(k_now + 3600) + "}";
  auto scope_of = [&](std::string scope_json) -> std::optional<Scope> {
    std::string token =
        hs256_token(k_header_hs256, R"({"sub":"alice","scope":)" + scope_json + exp);
    Result<Claims> claims = key.verify(token, k_now);
    if (!claims) {
      expect_refused(claims, token, "\"scope\"");
      return std::nullopt;
    }
    return claims.value().scope;
  };
  EXPECT_EQ(scope_of(R"("read")"), Scope::read);
  EXPECT_EQ(scope_of(R"("admin")"), Scope::admin);
  EXPECT_EQ(scope_of(R"("read trigger")"), Scope::trigger);
  EXPECT_EQ(scope_of(R"("repo:write admin read")"), Scope::admin);
  EXPECT_EQ(scope_of(R"("read  other")"), Scope::read);

  EXPECT_EQ(scope_of(R"("superuser")"), std::nullopt);
  EXPECT_EQ(scope_of(R"("ADMIN")"), std::nullopt);
  EXPECT_EQ(scope_of(R"("")"), std::nullopt);
  EXPECT_EQ(scope_of(R"(["admin"])"), std::nullopt);
  EXPECT_EQ(scope_of("2"), std::nullopt);

  std::string no_scope = hs256_token(k_header_hs256, R"({"sub":"alice")" + exp);
  expect_refused(key.verify(no_scope, k_now), no_scope, "\"scope\"");
}

TEST_F(TokenTest, RefusesMalformedTokens) {
  std::vector<TokenKey> keys;
  keys.push_back(TokenKey::hs256(k_secret));
  keys.push_back(rs_public());
  keys.push_back(es_public());
  for (const TokenKey& key : keys) {
    expect_refused(key.verify("abc.def.ghi", k_now), "abc.def.ghi", "token refused");
    for (std::string token : {"", "abc", "abc.def", "abc.def.ghi.jkl", "...", "a.b.c.d.e"}) {
      expect_refused(key.verify(token, k_now), token, "three parts");
    }
    for (std::string token : {"e30=.e30.", "e3+.e30.", "e30.e30.a", "e3 .e30.", "e31.e30."}) {
      expect_refused(key.verify(token, k_now), token, "base64url");
    }
  }
  std::string huge =
      hs256_token(k_header_hs256, payload_with(R"(,"exp":)" + std::to_string(k_now + 3600) +
                                               R"(,"pad":")" + std::string(9000, 'x') + "\""));
  expect_refused(keys[0].verify(huge, k_now), huge, "longer");
}

TEST_F(TokenTest, RefusesHeaderOrPayloadThatIsNotAJsonObject) {
  TokenKey key = TokenKey::hs256(k_secret);
  for (std::string header : {"not json", "[1]", "\"HS256\"", R"({"alg":"HS256"} x)", ""}) {
    std::string token = hs256_token(header, valid_payload());
    expect_refused(key.verify(token, k_now), token, "header is not a JSON object");
  }
  for (std::string payload : {"not json", "[]", "null", "{", ""}) {
    std::string token = hs256_token(k_header_hs256, payload);
    expect_refused(key.verify(token, k_now), token, "payload is not a JSON object");
  }
  // Deep nesting is refused without recursing.
  std::string deep = hs256_token(k_header_hs256, std::string(3000, '['));
  expect_refused(key.verify(deep, k_now), deep, "payload is not a JSON object");
}

TEST_F(TokenTest, APublicKeyVerifiesButCannotSign) {
  std::vector<TokenKey> keys;
  keys.push_back(rs_public());
  keys.push_back(es_public());
  for (const TokenKey& key : keys) {
    EXPECT_FALSE(key.can_sign());
    Result<std::string> token = key.sign(claims_for(Scope::read));
    ASSERT_FALSE(token.has_value());
    EXPECT_EQ(token.error().code, ErrorCode::invalid_input);
  }
}

TEST_F(TokenTest, SignRefusesAnEmptySubject) {
  Claims claims = claims_for(Scope::read);
  claims.subject.clear();
  Result<std::string> token = TokenKey::hs256(k_secret).sign(claims);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code, ErrorCode::invalid_input);
}

TEST_F(TokenTest, AShortHs256SecretIsFatal) {
  EXPECT_THROW(TokenKey::hs256(std::string(31, 's')), Fatal);
  EXPECT_NO_THROW(TokenKey::hs256(std::string(32, 's')));
  // Trailing whitespace does not count.
  fs::path file = write("short.key", std::string(31, 's') + "\n\n \t\n");
  try {
    TokenKey::load(file);
    ADD_FAILURE() << "a 31-byte secret was accepted";
  } catch (const Fatal& error) {
    EXPECT_NE(std::string(error.what()).find(file.string()), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("32 bytes"), std::string::npos) << error.what();
  }
}

TEST_F(TokenTest, AnHs256FileSecretIsItsBytesWithoutTrailingWhitespace) {
  TokenKey from_file = TokenKey::load(write("hs.key", k_secret + " \r\n\n"));
  EXPECT_EQ(from_file.algorithm(), "HS256");
  TokenKey in_memory = TokenKey::hs256(k_secret);
  EXPECT_TRUE(in_memory.verify(from_file.sign(claims_for(Scope::read)).value(), k_now));
  EXPECT_TRUE(from_file.verify(in_memory.sign(claims_for(Scope::read)).value(), k_now));
}

TEST_F(TokenTest, UnusableKeyFilesAreFatal) {
  auto expect_fatal = [&](const fs::path& file, std::string_view reason) {
    try {
      TokenKey::load(file);
      ADD_FAILURE() << "loaded " << file;
    } catch (const Fatal& error) {
      std::string message = error.what();
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
      EXPECT_NE(message.find(reason), std::string::npos) << message;
    }
  };
  expect_fatal(m_dir / "missing.pem", "No such file");
  expect_fatal(write("p384.pem", ec_pem("P-384").private_pem), "P-256");
  expect_fatal(write("p384.pub", ec_pem("P-384").public_pem), "P-256");
  expect_fatal(write("rsa1024.pem", rsa_pem(1024).private_pem), "2048");
  expect_fatal(
      write("ed25519.pem", pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")).private_pem),
      "ED25519");
  expect_fatal(write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n"
                                    "-----END PRIVATE KEY-----\n"),
               "PEM");
  // An encrypted key is refused instead of prompting for a passphrase.
  expect_fatal(write("encrypted.pem",
                     pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_aes_256_cbc())
                         .private_pem),
               "unencrypted");
}

TEST_F(TokenTest, CreateHs256FileWritesAPrivateKeyOnce) {
  fs::path file = m_dir / "token.key";
  TokenKey::create_hs256_file_if_absent(file);

  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  std::string content = read_text(file);
  EXPECT_TRUE(content.size() == 65 && is_lower_hex(content.substr(0, 64)) && content[64] == '\n')
      << content;
  TokenKey key = TokenKey::load(file);
  EXPECT_EQ(key.algorithm(), "HS256");
  expect_roundtrip(key, TokenKey::hs256(content.substr(0, 64)));

  TokenKey::create_hs256_file_if_absent(file);
  EXPECT_EQ(read_text(file), content);

  fs::path existing = write("existing.key", k_secret);
  TokenKey::create_hs256_file_if_absent(existing);
  EXPECT_EQ(read_text(existing), k_secret);

  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(m_dir)) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);

  EXPECT_THROW(TokenKey::create_hs256_file_if_absent(m_dir / "no-such-dir" / "token.key"), Fatal);
}

} // namespace
} // namespace cicd::auth

#pragma once
// Bearer tokens: JWTs (RFC 7519) signed with one configured key.
//
// The algorithm is fixed by the key, never taken from the token: a token whose header names
// another algorithm (including "none") is refused before its signature is looked at.

#include "cicd/core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::auth {

// What a token may do. Each scope includes the ones before it: admin ⊇ trigger ⊇ read.
enum class Scope { read = 0, trigger = 1, admin = 2 };

std::optional<Scope> parse_scope(std::string_view text);
std::string_view to_string(Scope scope);
inline bool allows(Scope granted, Scope needed) {
  return granted >= needed;
}

struct Claims {
  std::string subject;                    // "sub": who the token was issued to
  Scope scope = Scope::read;              // "scope": the widest scope named in the claim
  std::int64_t expires_at = 0;            // "exp", seconds since the epoch; required
  std::int64_t issued_at = 0;             // "iat"
  std::optional<std::int64_t> not_before; // "nbf"
};

// One signing/verification key. HS256 (a shared secret), RS256 (RSA) or ES256 (EC P-256).
// Thread safety: immutable after construction; verify() and sign() may run concurrently.
class TokenKey {
public:
  // Loads a key file. A PEM private key signs and verifies; a PEM public key only verifies
  // (RSA → RS256, EC P-256 → ES256); any other content is an HS256 secret (its bytes,
  // trailing whitespace removed), which must be at least 32 bytes long.
  // Throws Fatal naming the file and the problem.
  static TokenKey load(const std::filesystem::path& file);
  static TokenKey hs256(std::string secret);

  // Writes a new random HS256 secret to `file` (mode 0600) unless it already exists.
  static void create_hs256_file_if_absent(const std::filesystem::path& file);

  TokenKey(TokenKey&&) noexcept;
  TokenKey& operator=(TokenKey&&) noexcept;
  ~TokenKey();

  std::string_view algorithm() const; // "HS256", "RS256" or "ES256"
  bool can_sign() const;

  // Checks, in this order: three base64url parts; header JSON with "alg" equal to this key's
  // algorithm; the signature (HMAC compared in constant time); the payload JSON with a
  // non-empty "sub", a known "scope" and an "exp"; exp > now and nbf <= now (60 s leeway).
  // Any failure is ErrorCode::unauthorized with a message that says which check failed
  // (and never echoes the token).
  Result<Claims> verify(std::string_view token, std::int64_t now) const;

  // Signs the claims. ErrorCode::invalid_input when this key cannot sign (public key only).
  Result<std::string> sign(const Claims& claims) const;

private:
  struct Impl;
  explicit TokenKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace cicd::auth

#pragma once
// Hand-made JWTs for testing token verification: built with OpenSSL directly, independent of
// the code under test, so that a bug in cicd's signer cannot hide the same bug in its verifier.

#include <filesystem>
#include <string>
#include <string_view>

namespace cicd::test {

// Base64url without padding (RFC 7515 §2).
std::string base64url(std::string_view bytes);

// base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256(key, the first two)).
std::string sign_hs256(std::string_view header_json, std::string_view payload_json,
                       std::string_view key);

// The HS256 secret a master uses by default: <data_dir>/jwt.key, trailing whitespace removed.
std::string read_hs256_key(const std::filesystem::path& data_dir);

} // namespace cicd::test

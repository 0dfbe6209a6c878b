#pragma once
// Base64url without padding (RFC 4648 §5), the encoding of the three parts of a JWS.

#include <optional>
#include <string>
#include <string_view>

namespace cicd::auth {

std::string base64url_encode(std::string_view bytes);

// Strict: refuses padding, characters outside the url-safe alphabet, a length that leaves one
// stray character, and non-zero leftover bits, so that each byte string has exactly one
// accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace cicd::auth

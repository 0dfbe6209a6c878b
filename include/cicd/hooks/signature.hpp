#pragma once
// How a forge proves a hook came from it, checked before a byte of the body is parsed.
// Both comparisons take the same time wherever the inputs first differ.

#include <string_view>

namespace cicd::hooks {

// GitHub: whether `header` (X-Hub-Signature-256) is "sha256=" followed by the hex HMAC-SHA256
// of `body` under `secret`. An absent or SHA-1 (X-Hub-Signature) signature never matches.
bool github_signature_matches(std::string_view header, std::string_view body,
                              std::string_view secret);

// GitLab: whether `token` (X-Gitlab-Token) equals `secret`. Lengths leak nothing: the
// digests of both are compared.
bool gitlab_token_matches(std::string_view token, std::string_view secret);

} // namespace cicd::hooks

#pragma once
// Real hook payloads for tests: GitHub's own examples from the npm package
// @octokit/webhooks-examples (test/hooks/package.json, installed by scripts/setup), changed
// only where a test must, and signed as GitHub signs them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::test {

// The first example of `event` whose "action" is `action` (any when empty), as JSON text.
// Throws std::runtime_error naming scripts/setup when the package is not installed.
std::string github_example(std::string_view event, std::string_view action = {});

// `json` with the string members at the given dotted paths ("pull_request.head.sha") set.
// Throws std::runtime_error when a path does not lead to an existing member.
std::string with_strings(const std::string& json,
                         const std::vector<std::pair<std::string, std::string>>& values);

// "sha256=" + hex HMAC-SHA256 of `body` under `secret`, as X-Hub-Signature-256 carries it;
// "sha1=…" as the old X-Hub-Signature does.
std::string github_signature(std::string_view secret, std::string_view body);
std::string github_sha1_signature(std::string_view secret, std::string_view body);

} // namespace cicd::test

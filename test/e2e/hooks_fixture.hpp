#pragma once
// What the hook tests share: a connection on a stand-in forge API, jobs that watch GitHub's
// example repository, and deliveries signed with the connection's secret.

#include "api_fixture.hpp"

#include "support/forge_api_server.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace cicd::test {

inline constexpr std::string_view k_hook_secret = "canary-webhook-secret-8d1f2a";
inline constexpr std::string_view k_status_token = "canary-status-token-4c7e90";
// The repository of GitHub's example payloads.
inline constexpr std::string_view k_example_repository = "Codertocat/Hello-World";

// PUT /integrations/{forge}/{name} on `api_url` with the canary secret and token.
std::string integration_body(std::string_view api_url);

// A JSON "triggers" member for `forge` ("github" or "gitlab"): connection "acme", the example
// repository, and `more` members (like R"("allowForks": true)").
std::string triggers_member(std::string_view forge, std::string_view more = {});

// Headers of a GitHub delivery of `event` with id `delivery`, signed with `secret`.
HttpHeaders github_headers(std::string_view event, std::string_view delivery, std::string_view body,
                           std::string_view secret = k_hook_secret);

// Polls `probe` every 100 ms until it returns true or `deadline` passed; returns its last answer.
bool eventually(const std::function<bool()>& probe,
                std::chrono::milliseconds deadline = std::chrono::seconds(30));

} // namespace cicd::test

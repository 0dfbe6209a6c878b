#include "hooks_fixture.hpp"

#include "support/forge_payloads.hpp"

#include <fmt/format.h>

#include <thread>

namespace cicd::test {

std::string integration_body(std::string_view api_url) {
  return fmt::format(R"({{"webhookSecret":"{}","token":"{}","apiUrl":"{}"}})", k_hook_secret,
                     k_status_token, api_url);
}

std::string triggers_member(std::string_view forge, std::string_view more) {
  return fmt::format(R"("triggers":{{"{}":{{"connection":"acme","repository":"{}"{}{}}}}})", forge,
                     k_example_repository, more.empty() ? "" : ",", more);
}

HttpHeaders github_headers(std::string_view event, std::string_view delivery, std::string_view body,
                           std::string_view secret) {
  return {{"X-GitHub-Event", std::string(event)},
          {"X-GitHub-Delivery", std::string(delivery)},
          {"X-Hub-Signature-256", github_signature(secret, body)},
          {"Content-Type", "application/json"},
          {"User-Agent", "GitHub-Hookshot/044aadd"}};
}

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (probe()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace cicd::test

#pragma once
// Connections to forges (GitHub, GitLab): the secret their hooks prove themselves with, the
// token statuses are reported with and the API those go to. Kept as the setting
// "integration/<forge>/<name>", a JSON object whose two secrets are sealed with the secrets
// key (bound to the setting's key and the member's name), so they are never readable from the
// database, a response or a log.

#include "cicd/crypto/secret_box.hpp"
#include "cicd/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::master {

struct Integration {
  std::string forge; // "github" or "gitlab"
  std::string name;
  std::string api_url; // without a trailing '/'
  std::string webhook_secret;
  std::string token;
  std::int64_t updated_at_ms = 0;
};

// The forges cicd takes hooks from, and the API each talks to by default.
bool is_forge(std::string_view forge);
std::string_view default_api_url(std::string_view forge);

std::string integration_setting_key(std::string_view forge, std::string_view name);

// Seals the secrets and stores the connection (replacing one of the same name).
Result<void> store_integration(store::Store& store, const crypto::SecretBox& box,
                               const Integration& integration);
// The connection with its secrets opened; nullopt when there is none of that name.
Result<std::optional<Integration>> load_integration(store::Store& store,
                                                    const crypto::SecretBox& box,
                                                    std::string_view forge, std::string_view name);

} // namespace cicd::master

#pragma once
// The master role: the REST API over the store and the queue. `standalone` reuses serve_api.

#include "cicd/config/options.hpp"

namespace cicd::master {

// `cicd master [options]`, `cicd master token create …`. Returns the exit code.
int run_master(int argc, const char* const* argv);

// Opens the store (migrating it), the queue and the keys, then serves the API until SIGINT or
// SIGTERM. `on_listening` runs once the port is bound (standalone prints its banner there).
void serve_api(const config::ServiceOptions& options,
               const std::function<void(std::uint16_t port)>& on_listening);

// `token create --sub NAME --scope SCOPE --ttl DURATION` with the role's key options.
int create_token(const std::string& role, int argc, const char* const* argv);

} // namespace cicd::master

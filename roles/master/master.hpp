#pragma once
// The master role: the REST API over the store and the queue. `standalone` reuses serve_api.

#include "api.hpp"

#include "cicd/config/options.hpp"
#include "cicd/git/repository.hpp"
#include "cicd/http/server.hpp"
#include "cicd/queue/queue.hpp"
#include "cicd/results/result_store.hpp"
#include "cicd/store/store.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace cicd::master {

// `cicd master [options]`, `cicd master token create …`. Returns the exit code.
int run_master(int argc, const char* const* argv);

// What the API works on, opened from the options: the keys, the store (migrated, and pinned to
// the secrets key), the queue and the result store. Throws Fatal.
struct Services {
  config::Keys keys;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<queue::Queue> queue;
  std::unique_ptr<results::ResultStore> results;
  std::unique_ptr<git::RepoCache> repo_cache; // <data-dir>/git-cache
};
Services open_services(const config::ServiceOptions& options);

// The API's limits: per-token rates, and what one request and connection may be (the host
// and port come from --listen).
struct ApiLimitOptions {
  ApiRateLimits rates;
  http::ServerOptions server;
};
// Adds --rate-limit, --trigger-rate-limit, --body-limit, --header-limit, --read-timeout,
// --idle-timeout and --max-connections.
void add_api_limit_options(boost::program_options::options_description& description,
                           ApiLimitOptions& target);
// Throws Fatal (exit 2) for a value out of range.
void check_api_limit_options(const ApiLimitOptions& options);

// Another handler served by the same server: requests whose path is `prefix` or starts with
// `prefix` + "/" go to it instead of the API (standalone mounts the ui at "/ui").
struct Mount {
  std::string prefix;
  http::Handler handler;
};

// Serves the API until SIGINT or SIGTERM (over HTTPS with limits.server.tls). `on_listening`
// runs once the port is bound, with the port the mounts call the API on over plain HTTP: the
// server's own, or with TLS one on 127.0.0.1 that only the API answers.
void serve_api(const config::ServiceOptions& options, const ApiLimitOptions& limits,
               Services& services, const std::function<void(std::uint16_t port)>& on_listening,
               const std::vector<Mount>& mounts = {});

// A name for this process as the holder of periodic duties (<host>-<pid>-<random>).
std::string sweeper_holder();

// `token create --sub NAME --scope SCOPE --ttl DURATION` with the role's key options.
int create_token(const std::string& role, int argc, const char* const* argv);

} // namespace cicd::master

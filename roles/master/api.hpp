#pragma once
// The master's REST API: authentication first, then routing, then the route's handler.
// Routes live one resource per file (jobs_routes.cpp, runs_routes.cpp, secrets_routes.cpp).
// Every request answered is counted for GET /metrics (request_counts.hpp).

#include "rate_limiter.hpp"
#include "request_counts.hpp"

#include "cicd/auth/token.hpp"
#include "cicd/crypto/secret_box.hpp"
#include "cicd/git/repository.hpp"
#include "cicd/http/message.hpp"
#include "cicd/http/router.hpp"
#include "cicd/queue/queue.hpp"
#include "cicd/results/result_store.hpp"
#include "cicd/store/store.hpp"

namespace cicd::master {

// What the route handlers work with. Owned by whoever runs the API (master or standalone).
struct ApiDependencies {
  store::Store& store;
  queue::Queue& queue;
  results::ResultStore& results;
  const auth::TokenKey& token_key;
  const crypto::SecretBox& secret_box;
  git::RepoCache& repo_cache; // git jobs: resolves branches and reads config files
};

// Adapts handler(deps, request, match) to a route handler.
template <class Handler>
auto with_deps(const ApiDependencies& deps, Handler handler) {
  return [&deps, handler](const http::Request& request, const http::RouteMatch& match) {
    return handler(deps, request, match);
  };
}

void add_job_routes(http::Router& router, const ApiDependencies& deps);
void add_run_routes(http::Router& router, const ApiDependencies& deps);
void add_secret_routes(http::Router& router, const ApiDependencies& deps);
void add_ssh_key_routes(http::Router& router, const ApiDependencies& deps);
void add_result_routes(http::Router& router, const ApiDependencies& deps);
void add_console_routes(http::Router& router, const ApiDependencies& deps);
void add_settings_routes(http::Router& router, const ApiDependencies& deps);
void add_resource_class_routes(http::Router& router, const ApiDependencies& deps);
void add_agent_routes(http::Router& router, const ApiDependencies& deps);
void add_token_routes(http::Router& router, const ApiDependencies& deps);
void add_integration_routes(http::Router& router, const ApiDependencies& deps);
// Forge hooks (/hooks/…) authenticate with the connection's secret, not a bearer token: Api
// sends them here before its token check.
bool is_hook_target(const http::Target& target);
http::Response answer_hook(const ApiDependencies& deps, const http::Request& request,
                           const http::Target& target);
void add_metrics_routes(http::Router& router, const ApiDependencies& deps,
                        const RequestCounts& request_counts);

// The API's version, as docs/openapi.yaml's info.version (semantic versioning; what is
// breaking: docs/api.md, "Versioning"). GET /healthz answers it as "apiVersion".
inline constexpr std::string_view k_api_version = "1.0.0";

// Thread safety: handle() may run concurrently once constructed.
// How much one token may ask (per token subject; 0: no limit).
struct ApiRateLimits {
  double requests_per_second = 0; // every request, burst twice that (at least 10)
  double triggers_per_minute = 0; // POSTs that start or stop runs, burst the same number
};

class Api {
public:
  explicit Api(ApiDependencies deps, ApiRateLimits limits = {});
  Api(const Api&) = delete; // the routes hold references to m_deps
  Api& operator=(const Api&) = delete;
  http::Reply handle(http::Request&& request) const;
  // The routes it serves (GET /healthz, answered before routing, is not among them): the API
  // contract test holds them to docs/openapi.yaml.
  const http::Router& router() const { return m_router; }

private:
  // `route` is set to the route that answered, once one is found.
  http::Reply answer(const http::Request& request, const http::Route*& route) const;
  http::Reply handle_authenticated(const http::Request& request, const http::Target& target,
                                   const http::Route*& route) const;
  // The route label of a request no handler answered (refused before or at routing).
  std::string_view unanswered_route(const http::Request& request) const;
  // A 429 when `subject` is over one of the limits, else nullopt.
  std::optional<http::Response> over_limit(const std::string& subject, bool trigger) const;

  ApiDependencies m_deps;
  ApiRateLimits m_limits;
  mutable RateLimiter m_requests; // synchronized inside
  mutable RateLimiter m_triggers;
  mutable RequestCounts m_request_counts; // counting is synchronized inside
  http::Router m_router;
};

} // namespace cicd::master

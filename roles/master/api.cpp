#include "api.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"

#include <boost/beast/http/field.hpp>

namespace cicd::master {
namespace field = boost::beast::http;

namespace {

http::Response unauthorized(std::string_view detail, bool token_given) {
  auto response = http::problem_response(http::Status::unauthorized, detail);
  response.set(field::field::www_authenticate,
               token_given ? "Bearer realm=\"cicd\", error=\"invalid_token\""
                           : "Bearer realm=\"cicd\"");
  return response;
}

// The token from "Authorization: Bearer <token>", or empty.
std::string_view bearer_token(const http::Request& request) {
  auto it = request.find(field::field::authorization);
  if (it == request.end()) {
    return {};
  }
  std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view k_scheme = "Bearer ";
  if (value.size() <= k_scheme.size() ||
      !std::equal(k_scheme.begin(), k_scheme.end(), value.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return {};
  }
  value.remove_prefix(k_scheme.size());
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  return value;
}

} // namespace

Api::Api(ApiDependencies deps, ApiRateLimits limits)
    : m_deps(deps), m_limits(limits),
      m_requests(limits.requests_per_second, std::max(10.0, 2 * limits.requests_per_second)),
      m_triggers(limits.triggers_per_minute / 60, limits.triggers_per_minute) {
  add_job_routes(m_router, m_deps);
  add_run_routes(m_router, m_deps);
  add_secret_routes(m_router, m_deps);
  add_ssh_key_routes(m_router, m_deps);
  add_result_routes(m_router, m_deps);
  add_settings_routes(m_router, m_deps);
  add_token_routes(m_router, m_deps);
  add_resource_class_routes(m_router, m_deps);
  add_agent_routes(m_router, m_deps);
  add_integration_routes(m_router, m_deps);
  add_metrics_routes(m_router, m_deps, m_request_counts);
}

http::Reply Api::handle(http::Request&& request) const {
  const http::Route* route = nullptr;
  try {
    auto reply = answer(request, route);
    m_request_counts.count(route != nullptr ? std::string_view(route->pattern)
                                            : unanswered_route(request),
                           request.method(), reply.response.result_int());
    return reply;
  } catch (...) {
    // The server turns it into a 500.
    m_request_counts.count(route != nullptr ? std::string_view(route->pattern) : "unmatched",
                           request.method(), 500);
    throw;
  }
}

std::string_view Api::unanswered_route(const http::Request& request) const {
  auto target = http::parse_target(request.target());
  if (!target) {
    return "unmatched";
  }
  if (target->segments.size() == 1 && target->segments[0] == "healthz") {
    return "/healthz";
  }
  if (is_hook_target(*target)) {
    return target->segments.size() == 3 && target->segments[1] == "github"
               ? "/hooks/github/{name}"
               : (target->segments.size() == 3 && target->segments[1] == "gitlab"
                      ? "/hooks/gitlab/{name}"
                      : "unmatched");
  }
  // Refused before routing (401): counted under the route it was meant for.
  auto found = m_router.find(request.method(), *target);
  return found.route != nullptr ? std::string_view(found.route->pattern) : "unmatched";
}

http::Reply Api::answer(const http::Request& request, const http::Route*& route) const {
  auto target = http::parse_target(request.target());
  if (!target) {
    return http::problem_response(target.error());
  }
  if (target->segments.size() == 1 && target->segments[0] == "healthz") {
    if (request.method() != http::Verb::get && request.method() != http::Verb::head) {
      auto response =
          http::problem_response(http::Status::method_not_allowed, "/healthz answers GET only");
      response.set(field::field::allow, "GET");
      return response;
    }
    return http::json_response(
        http::Status::ok, fmt::format(R"({{"status":"ok","apiVersion":"{}"}})", k_api_version));
  }
  try {
    if (is_hook_target(*target)) {
      return answer_hook(m_deps, request, *target);
    }
    return handle_authenticated(request, *target, route);
  } catch (const ErrorException& e) {
    if (e.error().code == ErrorCode::internal || e.error().code == ErrorCode::unavailable) {
      log::error("{} {}: {}", std::string_view(request.method_string()),
                 std::string_view(request.target()), e.error().message);
      auto detail = e.error().code == ErrorCode::unavailable
                        ? "the database is unavailable: retry in a moment"
                        : "the server failed to handle this request; the error is in its log";
      auto response = http::problem_response(http::status_for(e.error().code), detail);
      if (e.error().code == ErrorCode::unavailable) {
        response.set(field::field::retry_after, "5");
      }
      return response;
    }
    return http::problem_response(e.error());
  }
}

http::Reply Api::handle_authenticated(const http::Request& request, const http::Target& target,
                                      const http::Route*& route) const {
  // Authentication comes before any other work, including routing.
  auto token = bearer_token(request);
  if (token.empty()) {
    return unauthorized("send a token: Authorization: Bearer <token> (cicd master token create "
                        "makes one)",
                        false);
  }
  auto claims = m_deps.token_key.verify(token, now_unix_ms() / 1000);
  if (!claims) {
    return unauthorized(claims.error().message, true);
  }
  auto found = m_router.find(request.method(), target);
  if (found.route == nullptr) {
    if (!found.allowed_methods.empty()) {
      auto response = http::problem_response(http::Status::method_not_allowed,
                                             fmt::format("{} is not allowed here; use {}",
                                                         std::string_view(request.method_string()),
                                                         found.allowed_methods));
      response.set(field::field::allow, found.allowed_methods);
      return response;
    }
    return http::problem_response(http::Status::not_found,
                                  "there is no such route: see docs/api.md for the API");
  }
  route = found.route;
  auto needed = static_cast<auth::Scope>(found.route->tag);
  if (!auth::allows(claims->scope, needed)) {
    return http::problem_response(
        http::Status::forbidden,
        fmt::format("this token has scope '{}'; {} {} needs '{}': ask an admin for a token with "
                    "that scope",
                    auth::to_string(claims->scope), std::string_view(request.method_string()),
                    found.route->pattern, auth::to_string(needed)));
  }
  bool trigger = needed == auth::Scope::trigger && request.method() == http::Verb::post;
  if (auto refused = over_limit(claims->subject, trigger)) {
    return std::move(*refused);
  }
  http::RouteMatch match{target, std::move(found.captures), claims->subject};
  return found.route->handler(request, match);
}

std::optional<http::Response> Api::over_limit(const std::string& subject, bool trigger) const {
  std::string detail;
  std::int64_t wait = m_requests.take(subject);
  if (wait > 0) {
    detail = fmt::format("'{}' sent more than {} requests a second: retry in {} s", subject,
                         m_limits.requests_per_second, wait);
  } else if (trigger && (wait = m_triggers.take(subject)) > 0) {
    detail = fmt::format("'{}' started or stopped more than {} runs a minute: retry in {} s",
                         subject, m_limits.triggers_per_minute, wait);
  } else {
    return std::nullopt;
  }
  auto response = http::problem_response(http::Status::too_many_requests, detail);
  response.set(field::field::retry_after, std::to_string(wait));
  return response;
}

} // namespace cicd::master

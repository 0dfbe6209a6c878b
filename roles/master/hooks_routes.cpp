// POST /hooks/github/{name} and POST /hooks/gitlab/{name}: forge hooks. They carry no bearer
// token: the connection's webhook secret is their authentication, checked against the raw
// body (GitHub's X-Hub-Signature-256) or the X-Gitlab-Token header before anything of the body
// is parsed. A refused hook changes nothing.
#include "api.hpp"
#include "hook_runs.hpp"
#include "integrations.hpp"
#include "request_helpers.hpp"

#include "cicd/core/log.hpp"
#include "cicd/hooks/signature.hpp"
#include "cicd/model/names.hpp"

#include <boost/beast/http/field.hpp>

namespace cicd::master {
namespace {

std::string_view header(const http::Request& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.end() ? std::string_view() : std::string_view(it->value());
}

http::Response refused(std::string_view detail) {
  return http::problem_response(http::Status::unauthorized, detail);
}

// A delivery id as the forge sends it: 1 to 255 printable characters.
std::string delivery_id(const http::Request& request, std::string_view name) {
  std::string id(header(request, name));
  bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (id.empty() || id.size() > 255 || !printable) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    std::string(name) + " must be 1 to 255 printable characters",
                                    std::string(name)));
  }
  return id;
}

http::Response answer_ping() {
  return http::json_response(http::Status::ok, R"({"pong":true})");
}

http::Response ignored(std::string_view reason) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("ignored");
  model::write_string(writer, reason);
  writer.Key("runs");
  writer.StartArray();
  writer.EndArray();
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response github_hook(const ApiDependencies& deps, const http::Request& request,
                           const Integration& connection) {
  auto signature = header(request, "X-Hub-Signature-256");
  if (signature.empty()) {
    return refused(header(request, "X-Hub-Signature").empty()
                       ? "no X-Hub-Signature-256 header: set the webhook's secret on GitHub"
                       : "only a SHA-1 signature (X-Hub-Signature) was sent: cicd checks "
                         "X-Hub-Signature-256");
  }
  if (!hooks::github_signature_matches(signature, request.body(), connection.webhook_secret)) {
    return refused("X-Hub-Signature-256 does not match the body under this connection's secret");
  }
  auto event_name = std::string(header(request, "X-GitHub-Event"));
  if (event_name.empty()) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "the X-GitHub-Event header is missing", "X-GitHub-Event"));
  }
  auto delivery = delivery_id(request, "X-GitHub-Delivery");
  auto event = value_or_throw(hooks::parse_github_event(event_name, request.body()));
  if (event.kind == hooks::ForgeEvent::Kind::ping) {
    return answer_ping();
  }
  if (event.kind == hooks::ForgeEvent::Kind::other) {
    return ignored("event '" + event_name + "' is not watched");
  }
  return start_hook_runs(deps, "github", connection.name, delivery, event);
}

http::Response gitlab_hook(const ApiDependencies& deps, const http::Request& request,
                           const Integration& connection) {
  auto token = header(request, "X-Gitlab-Token");
  if (token.empty()) {
    return refused("no X-Gitlab-Token header: set the webhook's secret token on GitLab");
  }
  if (!hooks::gitlab_token_matches(token, connection.webhook_secret)) {
    return refused("X-Gitlab-Token is not this connection's secret");
  }
  auto event_name = std::string(header(request, "X-Gitlab-Event"));
  if (event_name.empty()) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "the X-Gitlab-Event header is missing", "X-Gitlab-Event"));
  }
  auto delivery = delivery_id(request, "X-Gitlab-Event-UUID");
  auto event = value_or_throw(hooks::parse_gitlab_event(event_name, request.body()));
  if (event.kind == hooks::ForgeEvent::Kind::other) {
    return ignored("event '" + event_name + "' is not watched");
  }
  return start_hook_runs(deps, "gitlab", connection.name, delivery, event);
}

} // namespace

bool is_hook_target(const http::Target& target) {
  return !target.segments.empty() && target.segments[0] == "hooks";
}

http::Response answer_hook(const ApiDependencies& deps, const http::Request& request,
                           const http::Target& target) {
  if (target.segments.size() != 3 || !is_forge(target.segments[1])) {
    return http::problem_response(
        http::Status::not_found,
        "hooks are POST /hooks/github/{name} or POST /hooks/gitlab/{name}");
  }
  if (request.method() != http::Verb::post) {
    auto response =
        http::problem_response(http::Status::method_not_allowed, "a hook answers POST only");
    response.set(boost::beast::http::field::allow, "POST");
    return response;
  }
  const auto& forge = target.segments[1];
  const auto& name = target.segments[2];
  // The secret is the connection's: an unknown name is refused like a wrong secret, so that
  // connection names cannot be probed.
  auto connection = model::check_job_name(name, "name")
                        ? value_or_throw(load_integration(deps.store, deps.secret_box, forge, name))
                        : std::nullopt;
  if (!connection) {
    return refused("there is no " + forge + " connection of that name: PUT /integrations/" + forge +
                   "/{name} first");
  }
  return forge == "github" ? github_hook(deps, request, *connection)
                           : gitlab_hook(deps, request, *connection);
}

} // namespace cicd::master

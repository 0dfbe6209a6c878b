// POST /tokens (admin): mints an API token with the master's key, as `cicd master token
// create` does on the master's machine, for `cicd ctl token create` anywhere. The token is in
// the answer only: it is never stored or logged.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/model/duration.hpp"
#include "cicd/model/json.hpp"

#include <fmt/format.h>

namespace cicd::master {
namespace {

constexpr auto k_longest_ttl = std::chrono::hours(24 * 3650);

http::Response create_token(const ApiDependencies& deps, const http::Request& request,
                            const http::RouteMatch& match) {
  auto document = value_or_throw(model::parse_json_object(request.body()));
  model::reject_unknown_members(document, {"sub", "scope", "ttl"}, "");
  auth::Claims claims;
  auto* subject = model::find_member(document, "sub");
  auto* scope = model::find_member(document, "scope");
  if (subject == nullptr || scope == nullptr) {
    model::throw_field_error(subject == nullptr ? "sub" : "scope",
                             "is required: {\"sub\": \"ci-bot\", \"scope\": \"trigger\"}");
  }
  claims.subject = model::read_string(*subject, "sub");
  if (claims.subject.empty() || claims.subject.size() > 200) {
    model::throw_field_error("sub", "must be 1 to 200 characters");
  }
  auto parsed_scope = auth::parse_scope(model::read_string(*scope, "scope"));
  if (!parsed_scope) {
    model::throw_field_error("scope", "must be read, trigger or admin");
  }
  claims.scope = *parsed_scope;
  std::string ttl_text = "30d";
  if (auto* ttl = model::find_member(document, "ttl")) {
    ttl_text = model::read_string(*ttl, "ttl");
  }
  auto ttl = value_or_throw(model::parse_duration(ttl_text, "ttl", k_longest_ttl));
  claims.issued_at = now_unix_ms() / 1000;
  claims.expires_at = claims.issued_at + ttl.count();
  auto token = value_or_throw(deps.token_key.sign(claims));
  log::info("{} created a {} token for {} valid {}", match.principal, auth::to_string(claims.scope),
            claims.subject, ttl_text);
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("token");
  model::write_string(writer, token);
  writer.Key("sub");
  model::write_string(writer, claims.subject);
  writer.Key("scope");
  model::write_string(writer, auth::to_string(claims.scope));
  writer.Key("expiresAt");
  model::write_string(writer, model::format_timestamp(claims.expires_at * 1000));
  writer.EndObject();
  auto response =
      http::json_response(http::Status::created, std::string(buffer.GetString(), buffer.GetSize()));
  response.set(boost::beast::http::field::cache_control, "no-store");
  return response;
}

} // namespace

void add_token_routes(http::Router& router, const ApiDependencies& deps) {
  router.add({http::Verb::post, "/tokens", static_cast<int>(auth::Scope::admin),
              with_deps(deps, create_token)});
}

} // namespace cicd::master

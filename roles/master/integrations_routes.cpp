// PUT/GET/DELETE /integrations/{github,gitlab}/{name} (PUT …?dryRun=true checks without
// storing) and GET /integrations/{github,gitlab}:
// the connections hooks come through. The webhook secret and the token are write-only: sealed
// before they reach the store (integrations.hpp), never returned or logged.
#include "api.hpp"
#include "integrations.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/model/json.hpp"
#include "cicd/model/names.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cicd::master {
namespace {
using auth::Scope;

constexpr std::size_t k_max_secret_bytes = 4096;

std::string connection_name(const http::RouteMatch& match) {
  std::string name(match.capture("name"));
  value_or_throw(model::check_job_name(name, "name"));
  return name;
}

std::string read_secret(const rapidjson::Value& document, const char* member) {
  auto* given = model::find_member(document, member);
  if (given == nullptr) {
    model::throw_field_error(member, "is required (write-only: it is never shown again)");
  }
  auto value = model::read_string(*given, member);
  if (value.empty() || value.size() > k_max_secret_bytes) {
    model::throw_field_error(member, "must be 1 to 4096 bytes long");
  }
  return value;
}

std::string read_api_url(const rapidjson::Value& document, std::string_view forge) {
  auto* given = model::find_member(document, "apiUrl");
  if (given == nullptr) {
    return std::string(default_api_url(forge));
  }
  auto url = model::read_string(*given, "apiUrl");
  while (url.ends_with('/')) {
    url.pop_back();
  }
  bool has_space = std::any_of(url.begin(), url.end(),
                               [](char c) { return static_cast<unsigned char>(c) <= ' '; });
  bool scheme = url.starts_with("https://") || url.starts_with("http://");
  if (!scheme || has_space || url.size() <= 8 || url.size() > 2048 ||
      url.find('@') != std::string::npos || url.find('?') != std::string::npos) {
    model::throw_field_error("apiUrl", "must be an http(s) URL without credentials, spaces or a "
                                       "query, like https://github.example.com/api/v3");
  }
  return url;
}

std::string integration_document(const Integration& integration) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("name");
  model::write_string(writer, integration.name);
  writer.Key("forge");
  model::write_string(writer, integration.forge);
  writer.Key("apiUrl");
  model::write_string(writer, integration.api_url);
  writer.Key("webhookUrl");
  model::write_string(writer, "/hooks/" + integration.forge + "/" + integration.name);
  writer.Key("updatedAt");
  model::write_string(writer, model::format_timestamp(integration.updated_at_ms));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

http::Response put_integration(const ApiDependencies& deps, const http::Request& request,
                               const http::RouteMatch& match, std::string_view forge) {
  auto name = connection_name(match);
  auto document = value_or_throw(model::parse_json_object(request.body()));
  model::reject_unknown_members(document, {"webhookSecret", "token", "apiUrl"}, "");
  Integration integration;
  integration.forge = std::string(forge);
  integration.name = name;
  integration.webhook_secret = read_secret(document, "webhookSecret");
  integration.token = read_secret(document, "token");
  integration.api_url = read_api_url(document, forge);
  integration.updated_at_ms = now_unix_ms();
  auto dry_run = match.target.param("dryRun");
  if (!dry_run.empty() && dry_run != "true" && dry_run != "false") {
    model::throw_field_error("dryRun", "must be true or false");
  }
  if (dry_run == "true") { // checked, not stored (`cicd ctl apply` plans)
    return http::json_response(http::Status::ok, integration_document(integration));
  }
  bool existed =
      value_or_throw(load_integration(deps.store, deps.secret_box, forge, name)).has_value();
  value_or_throw(store_integration(deps.store, deps.secret_box, integration));
  return http::json_response(existed ? http::Status::ok : http::Status::created,
                             integration_document(integration));
}

http::Response get_integration(const ApiDependencies& deps, const http::RouteMatch& match,
                               std::string_view forge) {
  auto name = connection_name(match);
  auto integration = value_or_throw(load_integration(deps.store, deps.secret_box, forge, name));
  if (!integration) {
    throw ErrorException(make_error(
        ErrorCode::not_found, fmt::format("there is no {} connection named '{}'", forge, name)));
  }
  return http::json_response(http::Status::ok, integration_document(*integration));
}

http::Response list_integrations(const ApiDependencies& deps, std::string_view forge) {
  auto prefix = integration_setting_key(forge, "");
  std::string body = "{\"items\":[";
  bool first = true;
  for (const auto& [key, value] : value_or_throw(deps.store.list_settings(prefix))) {
    auto integration = value_or_throw(
        load_integration(deps.store, deps.secret_box, forge, key.substr(prefix.size())));
    if (integration) {
      body += (first ? "" : ",") + integration_document(*integration);
      first = false;
    }
  }
  return http::json_response(http::Status::ok, body + "]}");
}

http::Response delete_integration(const ApiDependencies& deps, const http::RouteMatch& match,
                                  std::string_view forge) {
  auto name = connection_name(match);
  if (!value_or_throw(deps.store.delete_setting(integration_setting_key(forge, name)))) {
    throw ErrorException(make_error(
        ErrorCode::not_found, fmt::format("there is no {} connection named '{}'", forge, name)));
  }
  return http::Response(http::Status::no_content, 11);
}

} // namespace

void add_integration_routes(http::Router& router, const ApiDependencies& deps) {
  auto admin = static_cast<int>(Scope::admin);
  for (std::string_view forge : {"github", "gitlab"}) {
    auto base = "/integrations/" + std::string(forge);
    router.add({http::Verb::get, base, admin,
                [&deps, forge](const http::Request&, const http::RouteMatch&) {
                  return list_integrations(deps, forge);
                }});
    router.add({http::Verb::put, base + "/{name}", admin,
                [&deps, forge](const http::Request& request, const http::RouteMatch& match) {
                  return put_integration(deps, request, match, forge);
                }});
    router.add({http::Verb::get, base + "/{name}", admin,
                [&deps, forge](const http::Request&, const http::RouteMatch& match) {
                  return get_integration(deps, match, forge);
                }});
    router.add({http::Verb::delete_, base + "/{name}", admin,
                [&deps, forge](const http::Request&, const http::RouteMatch& match) {
                  return delete_integration(deps, match, forge);
                }});
  }
}

} // namespace cicd::master

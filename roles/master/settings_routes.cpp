// GET/PUT /settings: global settings, for now the umbrella timeout that caps every job's.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/model/duration.hpp"
#include "cicd/model/json.hpp"

namespace cicd::master {
namespace {
using auth::Scope;

constexpr const char* k_default_umbrella_timeout = "1h";

http::Response settings_response(const ApiDependencies& deps) {
  auto umbrella = value_or_throw(deps.store.get_setting("umbrella_timeout"));
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("umbrellaTimeout");
  model::write_string(writer, umbrella.value_or(k_default_umbrella_timeout));
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response get_settings(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch&) {
  return settings_response(deps);
}

http::Response put_settings(const ApiDependencies& deps, const http::Request& request,
                            const http::RouteMatch&) {
  auto document = value_or_throw(model::parse_json_object(request.body()));
  std::string umbrella;
  model::reject_unknown_members(document, {"umbrellaTimeout"}, "");
  if (auto* value = model::find_member(document, "umbrellaTimeout")) {
    umbrella = model::read_string(*value, "umbrellaTimeout");
    value_or_throw(model::parse_duration(umbrella, "umbrellaTimeout"));
  }
  if (!umbrella.empty()) {
    value_or_throw(deps.store.put_setting("umbrella_timeout", umbrella));
  }
  return settings_response(deps);
}

} // namespace

void add_settings_routes(http::Router& router, const ApiDependencies& deps) {
  router.add(
      {http::Verb::get, "/settings", static_cast<int>(Scope::read), with_deps(deps, get_settings)});
  router.add({http::Verb::put, "/settings", static_cast<int>(Scope::admin),
              with_deps(deps, put_settings)});
}

} // namespace cicd::master

// GET/PUT /settings: global settings — the umbrella timeout that caps every job's, the
// console's log limit and how long results are kept.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/model/duration.hpp"
#include "cicd/model/json.hpp"
#include "cicd/model/settings.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace cicd::master {
namespace {
using auth::Scope;

constexpr const char* k_default_umbrella_timeout = "1h";

std::optional<std::int64_t> stored_number(const ApiDependencies& deps, std::string_view key) {
  auto stored = value_or_throw(deps.store.get_setting(key));
  if (!stored) {
    return std::nullopt;
  }
  return std::atoll(stored->c_str());
}

http::Response settings_response(const ApiDependencies& deps) {
  auto umbrella = value_or_throw(deps.store.get_setting("umbrella_timeout"));
  auto retention = stored_number(deps, model::k_result_retention_setting);
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("umbrellaTimeout");
  model::write_string(writer, umbrella.value_or(k_default_umbrella_timeout));
  writer.Key("consoleLimitMiB");
  writer.Int64(stored_number(deps, model::k_console_limit_setting)
                   .value_or(model::k_default_console_limit_mib));
  writer.Key("resultRetentionDays");
  if (retention) {
    writer.Int64(*retention);
  } else {
    writer.Null(); // kept until the run's job is deleted
  }
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response get_settings(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch&) {
  return settings_response(deps);
}

std::int64_t read_bounded(const rapidjson::Value& value, const char* field, std::int64_t max) {
  auto number = model::read_integer(value, field);
  if (number < 1 || number > max) {
    throw ErrorException(
        make_error(ErrorCode::invalid_input, fmt::format("must be from 1 to {}", max), field));
  }
  return number;
}

// Every member is checked before anything is stored: a bad one changes nothing.
http::Response put_settings(const ApiDependencies& deps, const http::Request& request,
                            const http::RouteMatch&) {
  auto document = value_or_throw(model::parse_json_object(request.body()));
  model::reject_unknown_members(document,
                                {"umbrellaTimeout", "consoleLimitMiB", "resultRetentionDays"}, "");
  std::vector<std::pair<std::string_view, std::optional<std::string>>> changes;
  if (auto* value = model::find_member(document, "umbrellaTimeout")) {
    auto umbrella = model::read_string(*value, "umbrellaTimeout");
    value_or_throw(model::parse_duration(umbrella, "umbrellaTimeout"));
    changes.emplace_back("umbrella_timeout", umbrella);
  }
  if (auto* value = model::find_member(document, "consoleLimitMiB")) {
    auto limit = read_bounded(*value, "consoleLimitMiB", model::k_max_console_limit_mib);
    changes.emplace_back(model::k_console_limit_setting, std::to_string(limit));
  }
  if (auto* value = model::find_member(document, "resultRetentionDays")) {
    std::optional<std::string> days; // null: keep results until deleted
    if (!value->IsNull()) {
      days = std::to_string(
          read_bounded(*value, "resultRetentionDays", model::k_max_result_retention_days));
    }
    changes.emplace_back(model::k_result_retention_setting, days);
  }
  for (const auto& [key, value] : changes) {
    if (value) {
      value_or_throw(deps.store.put_setting(key, *value));
    } else {
      value_or_throw(deps.store.delete_setting(key));
    }
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

// PUT/GET/DELETE /settings/resource-classes/{name} and GET /settings/resource-classes: the
// global resource classes runs are queued for and agents reserve. Each is a setting
// ("resource_class/<name>", its canonical JSON); "default" exists without one, as
// model::default_resource_class(), until a PUT changes it.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/model/json.hpp"
#include "cicd/model/names.hpp"
#include "cicd/model/resource_class.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>

namespace cicd::master {
namespace {
using auth::Scope;
using model::ResourceClass;

std::string class_name(const http::RouteMatch& match) {
  std::string name(match.capture("name"));
  value_or_throw(model::check_simple_name(name, "name"));
  return name;
}

// A stored definition that does not parse was altered behind the API's back.
ResourceClass stored_class(std::string_view name, const std::string& json) {
  auto parsed = model::parse_resource_class(name, json);
  if (!parsed) {
    throw ErrorException(
        make_error(ErrorCode::internal, "the stored resource class '" + std::string(name) +
                                            "' does not parse: " + parsed.error().message));
  }
  return *parsed;
}

std::optional<ResourceClass> find_class(const ApiDependencies& deps, const std::string& name) {
  auto stored = value_or_throw(deps.store.get_setting(model::resource_class_setting_key(name)));
  if (stored) {
    return stored_class(name, *stored);
  }
  if (name == model::k_default_resource_class) {
    return model::default_resource_class();
  }
  return std::nullopt;
}

void write_class(model::JsonWriter& writer, const ResourceClass& resource_class) {
  writer.StartObject();
  model::write_resource_class_members(writer, resource_class);
  writer.Key("href");
  model::write_string(writer, "/settings/resource-classes/" + resource_class.name);
  writer.EndObject();
}

http::Response class_response(http::Status status, const ResourceClass& resource_class) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  write_class(writer, resource_class);
  return http::json_response(status, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response list_classes(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch&) {
  auto prefix = std::string(model::k_resource_class_key_prefix);
  std::vector<ResourceClass> classes;
  bool default_defined = false;
  for (const auto& [key, json] : value_or_throw(deps.store.list_settings(prefix))) {
    auto name = key.substr(prefix.size());
    default_defined = default_defined || name == model::k_default_resource_class;
    classes.push_back(stored_class(name, json));
  }
  if (!default_defined) {
    classes.push_back(model::default_resource_class());
  }
  std::sort(classes.begin(), classes.end(),
            [](const ResourceClass& a, const ResourceClass& b) { return a.name < b.name; });
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("items");
  writer.StartArray();
  for (const auto& resource_class : classes) {
    write_class(writer, resource_class);
  }
  writer.EndArray();
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response get_class(const ApiDependencies& deps, const http::Request&,
                         const http::RouteMatch& match) {
  auto name = class_name(match);
  auto found = find_class(deps, name);
  if (!found) {
    throw ErrorException(make_error(ErrorCode::not_found, "there is no resource class '" + name +
                                                              "': PUT /settings/resource-classes/" +
                                                              name + " defines it"));
  }
  return class_response(http::Status::ok, *found);
}

// 201 when the class is new, 200 when it replaced one ("default" always exists). Two PUTs of
// a new class at once may both say 201; what is stored is the last one either way.
http::Response put_class(const ApiDependencies& deps, const http::Request& request,
                         const http::RouteMatch& match) {
  std::string name(match.capture("name"));
  auto resource_class = value_or_throw(model::parse_resource_class(name, request.body()));
  auto key = model::resource_class_setting_key(name);
  bool existed = name == model::k_default_resource_class ||
                 value_or_throw(deps.store.get_setting(key)).has_value();
  value_or_throw(deps.store.put_setting(key, model::to_canonical_json(resource_class)));
  auto response =
      class_response(existed ? http::Status::ok : http::Status::created, resource_class);
  if (!existed) {
    response.set(boost::beast::http::field::location, "/settings/resource-classes/" + name);
  }
  return response;
}

// Deleting "default" puts back its built-in definition. Runs already queued for a deleted
// class wait until it is defined again (or are aborted): no agent takes an undefined class.
http::Response delete_class(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch& match) {
  auto name = class_name(match);
  bool deleted = value_or_throw(deps.store.delete_setting(model::resource_class_setting_key(name)));
  if (!deleted && name != model::k_default_resource_class) {
    throw ErrorException(
        make_error(ErrorCode::not_found, "there is no resource class '" + name + "'"));
  }
  return http::Response(http::Status::no_content, 11);
}

} // namespace

void add_resource_class_routes(http::Router& router, const ApiDependencies& deps) {
  auto read = static_cast<int>(Scope::read);
  auto admin = static_cast<int>(Scope::admin);
  router.add({http::Verb::get, "/settings/resource-classes", read, with_deps(deps, list_classes)});
  router.add(
      {http::Verb::get, "/settings/resource-classes/{name}", read, with_deps(deps, get_class)});
  router.add(
      {http::Verb::put, "/settings/resource-classes/{name}", admin, with_deps(deps, put_class)});
  router.add({http::Verb::delete_, "/settings/resource-classes/{name}", admin,
              with_deps(deps, delete_class)});
}

} // namespace cicd::master

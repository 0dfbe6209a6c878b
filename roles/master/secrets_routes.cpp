// PUT/DELETE /jobs/{job}/secrets/{key} and GET /jobs/{job}/secrets. Values are write-only:
// sealed with the secrets key before they reach the store, never returned or logged.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/crypto/random.hpp"
#include "cicd/executor/secret_masker.hpp"
#include "cicd/model/json.hpp"
#include "cicd/model/names.hpp"

namespace cicd::master {
namespace {
using auth::Scope;

constexpr std::size_t k_max_secret_bytes = 64 * 1024;

std::string secret_name(const http::RouteMatch& match) {
  std::string name(match.capture("key"));
  value_or_throw(model::check_env_name(name, "key"));
  return name;
}

std::string secret_document(std::string_view name, std::int64_t updated_at_ms) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("name");
  model::write_string(writer, name);
  writer.Key("updatedAt");
  model::write_string(writer, model::format_timestamp(updated_at_ms));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

http::Response put_secret(const ApiDependencies& deps, const http::Request& request,
                          const http::RouteMatch& match) {
  auto job = job_name(match);
  auto name = secret_name(match);
  auto document = value_or_throw(model::parse_json_object(request.body()));
  std::string value;
  model::reject_unknown_members(document, {"value"}, "");
  auto* given = model::find_member(document, "value");
  if (given == nullptr) {
    model::throw_field_error("value", "is required: {\"value\": \"…\"}");
  }
  value = model::read_string(*given, "value");
  if (value.size() < executor::k_min_secret_length || value.size() > k_max_secret_bytes) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "'value' must be 4 bytes to 64 KiB long: a shorter secret "
                                    "cannot be masked in consoles without masking ordinary text",
                                    "value"));
  }
  auto sealed = deps.secret_box.seal(value, job + "/" + name);
  auto now = now_unix_ms();
  bool created = value_or_throw(deps.store.put_secret(job, name, crypto::to_hex(sealed), now));
  return http::json_response(created ? http::Status::created : http::Status::ok,
                             secret_document(name, now));
}

http::Response list_secrets(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch& match) {
  auto secrets = value_or_throw(deps.store.list_secrets(job_name(match)));
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    body += (i == 0 ? "" : ",") + secret_document(secrets[i].name, secrets[i].updated_at_ms);
  }
  body += "]}";
  return http::json_response(http::Status::ok, std::move(body));
}

http::Response delete_secret(const ApiDependencies& deps, const http::Request&,
                             const http::RouteMatch& match) {
  value_or_throw(deps.store.delete_secret(job_name(match), secret_name(match)));
  return http::Response(http::Status::no_content, 11);
}

} // namespace

void add_secret_routes(http::Router& router, const ApiDependencies& deps) {
  auto admin = static_cast<int>(Scope::admin);
  router.add({http::Verb::get, "/jobs/{job}/secrets", static_cast<int>(Scope::read),
              with_deps(deps, list_secrets)});
  router.add({http::Verb::put, "/jobs/{job}/secrets/{key}", admin, with_deps(deps, put_secret)});
  router.add(
      {http::Verb::delete_, "/jobs/{job}/secrets/{key}", admin, with_deps(deps, delete_secret)});
}

} // namespace cicd::master

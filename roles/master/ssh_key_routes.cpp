// POST/GET/DELETE /jobs/{job}/ssh-key: a git job's SSH deploy key. The server makes the key
// pair; the user adds the public half to the repository (GitHub/GitLab "deploy keys"). The
// private half is sealed like a secret and never leaves the master and the agents.
// GET /settings/ssh-host-keys and DELETE /settings/ssh-host-keys/{host}: the git servers' host
// keys, pinned on first contact, and forgetting one that was replaced on purpose.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/crypto/random.hpp"
#include "cicd/crypto/ssh_key.hpp"
#include "cicd/git/job_credentials.hpp"
#include "cicd/model/json.hpp"

namespace cicd::master {
namespace {
using auth::Scope;

std::string key_document(const std::string& job, const store::SshKey& key) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("publicKey");
  model::write_string(writer, key.public_key);
  writer.Key("fingerprint");
  model::write_string(writer, value_or_throw(crypto::ssh_fingerprint(key.public_key)));
  writer.Key("createdAt");
  model::write_string(writer, model::format_timestamp(key.created_at_ms));
  writer.Key("href");
  model::write_string(writer, "/jobs/" + job + "/ssh-key");
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

http::Response create_key(const ApiDependencies& deps, const http::Request&,
                          const http::RouteMatch& match) {
  auto job = job_name(match);
  value_or_throw(deps.store.get_job(job)); // 404 before any key is made
  auto pair = value_or_throw(crypto::generate_ssh_key("cicd job " + job));
  store::SshKey key{
      pair.public_key,
      crypto::to_hex(deps.secret_box.seal(pair.private_key, git::ssh_key_context(job))),
      now_unix_ms()};
  value_or_throw(deps.store.put_ssh_key(job, key));
  return http::json_response(http::Status::created, key_document(job, key));
}

http::Response get_key(const ApiDependencies& deps, const http::Request&,
                       const http::RouteMatch& match) {
  auto job = job_name(match);
  auto key = value_or_throw(deps.store.get_ssh_key(job));
  if (!key) {
    throw ErrorException(
        make_error(ErrorCode::not_found, "job '" + job + "' has no SSH deploy key: POST /jobs/" +
                                             job + "/ssh-key makes one"));
  }
  return http::json_response(http::Status::ok, key_document(job, *key));
}

http::Response delete_key(const ApiDependencies& deps, const http::Request&,
                          const http::RouteMatch& match) {
  value_or_throw(deps.store.delete_ssh_key(job_name(match)));
  return http::Response(http::Status::no_content, 11);
}

http::Response list_host_keys(const ApiDependencies& deps, const http::Request&,
                              const http::RouteMatch&) {
  auto keys = value_or_throw(deps.store.list_ssh_host_keys());
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("items");
  writer.StartArray();
  for (const auto& key : keys) {
    writer.StartObject();
    writer.Key("host");
    model::write_string(writer, key.host);
    writer.Key("fingerprint");
    model::write_string(writer, key.fingerprint);
    writer.Key("firstSeenAt");
    model::write_string(writer, model::format_timestamp(key.first_seen_at_ms));
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

http::Response forget_host_key(const ApiDependencies& deps, const http::Request&,
                               const http::RouteMatch& match) {
  value_or_throw(deps.store.forget_ssh_host_key(text_capture(match, "host")));
  return http::Response(http::Status::no_content, 11);
}

} // namespace

void add_ssh_key_routes(http::Router& router, const ApiDependencies& deps) {
  auto admin = static_cast<int>(Scope::admin);
  router.add({http::Verb::post, "/jobs/{job}/ssh-key", admin, with_deps(deps, create_key)});
  router.add({http::Verb::get, "/jobs/{job}/ssh-key", static_cast<int>(Scope::read),
              with_deps(deps, get_key)});
  router.add({http::Verb::delete_, "/jobs/{job}/ssh-key", admin, with_deps(deps, delete_key)});
  router.add({http::Verb::get, "/settings/ssh-host-keys", static_cast<int>(Scope::read),
              with_deps(deps, list_host_keys)});
  router.add({http::Verb::delete_, "/settings/ssh-host-keys/{host}", admin,
              with_deps(deps, forget_host_key)});
}

} // namespace cicd::master

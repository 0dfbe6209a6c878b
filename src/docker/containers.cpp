#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

#include "cicd/model/json.hpp"

#include <fmt/format.h>

namespace cicd::docker {
namespace http = detail::http;

namespace {

void write_string_array(model::JsonWriter& writer, std::string_view key,
                        const std::vector<std::string>& values) {
  model::write_key(writer, key);
  writer.StartArray();
  for (const auto& value : values) {
    model::write_string(writer, value);
  }
  writer.EndArray();
}

// Only what ContainerSpec can say: nothing here can mount a host path, add a device or a
// capability, or make the container privileged.
void write_host_config(model::JsonWriter& writer, const ContainerSpec& spec) {
  model::write_key(writer, "HostConfig");
  writer.StartObject();
  model::write_key(writer, "NanoCpus");
  writer.Int64(spec.nano_cpus);
  model::write_key(writer, "Memory");
  writer.Int64(spec.memory_bytes);
  if (spec.pids_limit > 0) {
    model::write_key(writer, "PidsLimit");
    writer.Int64(spec.pids_limit);
  }
  if (!spec.network.empty()) {
    model::write_key(writer, "NetworkMode");
    model::write_string(writer, spec.network);
  }
  model::write_key(writer, "Init");
  writer.Bool(spec.init);
  if (!spec.docker_logs) {
    model::write_key(writer, "LogConfig");
    writer.StartObject();
    model::write_key(writer, "Type");
    model::write_string(writer, "none");
    writer.EndObject();
  }
  model::write_key(writer, "Privileged");
  writer.Bool(false);
  model::write_key(writer, "ReadonlyRootfs");
  writer.Bool(false);
  model::write_key(writer, "AutoRemove");
  writer.Bool(false);
  writer.EndObject();
}

std::string container_json(const ContainerSpec& spec) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  model::write_key(writer, "Image");
  model::write_string(writer, spec.image);
  if (spec.entrypoint) {
    write_string_array(writer, "Entrypoint", *spec.entrypoint);
  }
  if (!spec.cmd.empty()) {
    write_string_array(writer, "Cmd", spec.cmd);
  }
  write_string_array(writer, "Env", spec.env);
  model::write_key(writer, "WorkingDir");
  model::write_string(writer, spec.working_dir);
  model::write_key(writer, "User");
  model::write_string(writer, spec.user);
  model::write_key(writer, "Labels");
  writer.StartObject();
  for (const auto& [key, value] : spec.labels) {
    model::write_key(writer, key);
    model::write_string(writer, value);
  }
  writer.EndObject();
  // No TTY and no stdin: the output is read as Docker's multiplexed log stream.
  for (auto key : {"Tty", "AttachStdin", "AttachStdout", "AttachStderr", "OpenStdin"}) {
    model::write_key(writer, key);
    writer.Bool(false);
  }
  write_host_config(writer, spec);
  if (!spec.network.empty()) {
    model::write_key(writer, "NetworkingConfig");
    writer.StartObject();
    model::write_key(writer, "EndpointsConfig");
    writer.StartObject();
    model::write_key(writer, spec.network);
    writer.StartObject();
    write_string_array(writer, "Aliases", spec.aliases);
    writer.EndObject();
    writer.EndObject();
    writer.EndObject();
  }
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) {
    return nullptr;
  }
  auto found = object.FindMember(name);
  return found == object.MemberEnd() ? nullptr : &found->value;
}

std::string container_path(const std::string& id) {
  return "/containers/" + detail::url_encode(id);
}

Result<void> done(const Result<std::string>& body) {
  if (!body) {
    return body.error();
  }
  return {};
}

} // namespace

Result<std::string> Client::create_container(const ContainerSpec& spec) {
  std::string target = "/containers/create";
  if (!spec.name.empty()) {
    target += "?name=" + detail::url_encode(spec.name);
  }
  auto json = container_json(spec);
  auto body = detail::call(m_socket_path, http::verb::post, target, {json, "application/json"});
  if (!body) {
    return body.error();
  }
  auto document = detail::parse_docker_json(*body, "POST /containers/create");
  if (!document) {
    return document.error();
  }
  const auto* id = member(*document, "Id");
  if (id == nullptr || !id->IsString()) {
    return make_error(ErrorCode::internal, "Docker: POST /containers/create returned no Id");
  }
  return std::string(id->GetString(), id->GetStringLength());
}

Result<void> Client::start_container(const std::string& id) {
  // 304 (already started) counts as success: call() accepts it.
  return done(detail::call(m_socket_path, http::verb::post, container_path(id) + "/start"));
}

Result<std::int64_t> Client::wait_container(const std::string& id, std::chrono::seconds timeout) {
  auto body = detail::call(m_socket_path, http::verb::post, container_path(id) + "/wait", {},
                           detail::Limits::within(timeout));
  if (!body) {
    return body.error();
  }
  auto document = detail::parse_docker_json(*body, "POST /containers/{id}/wait");
  if (!document) {
    return document.error();
  }
  const auto* status = member(*document, "StatusCode");
  if (status == nullptr || !status->IsInt64()) {
    return make_error(ErrorCode::internal,
                      "Docker: POST /containers/" + id + "/wait returned no StatusCode");
  }
  return status->GetInt64();
}

Result<void> Client::kill_container(const std::string& id, const std::string& signal) {
  return done(detail::call(m_socket_path, http::verb::post,
                           container_path(id) + "/kill?signal=" + detail::url_encode(signal)));
}

Result<void> Client::remove_container(const std::string& id, bool force) {
  return done(detail::call(m_socket_path, http::verb::delete_,
                           container_path(id) + (force ? "?force=1&v=1" : "?force=0&v=1")));
}

Result<ContainerState> Client::inspect_container(const std::string& id) {
  auto body = detail::call(m_socket_path, http::verb::get, container_path(id) + "/json");
  if (!body) {
    return body.error();
  }
  auto document = detail::parse_docker_json(*body, "GET /containers/{id}/json");
  if (!document) {
    return document.error();
  }
  ContainerState state;
  if (const auto* docker_state = member(*document, "State")) {
    if (const auto* running = member(*docker_state, "Running"); running && running->IsBool()) {
      state.running = running->GetBool();
    }
    if (const auto* code = member(*docker_state, "ExitCode"); code && code->IsInt64()) {
      state.exit_code = code->GetInt64();
    }
    if (const auto* oom = member(*docker_state, "OOMKilled"); oom && oom->IsBool()) {
      state.oom_killed = oom->GetBool();
    }
    if (const auto* health = member(*docker_state, "Health")) {
      if (const auto* status = member(*health, "Status"); status && status->IsString()) {
        state.health = status->GetString();
      }
    }
  }
  if (const auto* config = member(*document, "Config")) {
    if (const auto* user = member(*config, "User"); user && user->IsString()) {
      state.user = user->GetString();
    }
  }
  const auto* settings = member(*document, "NetworkSettings");
  const auto* networks = settings ? member(*settings, "Networks") : nullptr;
  if (networks != nullptr && networks->IsObject()) {
    for (const auto& network : networks->GetObject()) {
      if (const auto* ip = member(network.value, "IPAddress"); ip && ip->IsString()) {
        state.ip_addresses[network.name.GetString()] = ip->GetString();
      }
    }
  }
  return state;
}

Result<std::vector<std::string>> Client::containers_with_label(const std::string& label) {
  auto body = detail::call(m_socket_path, http::verb::get,
                           "/containers/json?all=1&" + detail::label_filter_query(label));
  if (!body) {
    return body.error();
  }
  return detail::ids_in_list(*body, "GET /containers/json");
}

} // namespace cicd::docker

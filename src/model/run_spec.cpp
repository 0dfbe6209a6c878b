#include "cicd/model/run_spec.hpp"

#include "cicd/model/duration.hpp"
#include "cicd/model/names.hpp"

#include <algorithm>

namespace cicd::model {
namespace {

// Keys that would weaken isolation: refused with the reason rather than as merely unknown.
constexpr std::string_view k_forbidden_keys[] = {
    "privileged",   "volumes", "mounts",      "binds",        "devices",     "capAdd", "cap_add",
    "capabilities", "network", "networkMode", "network_mode", "hostNetwork", "pid",    "ipc"};

} // namespace

void reject_isolation_escapes(const rapidjson::Value& object, const std::string& path) {
  for (auto key : k_forbidden_keys) {
    if (find_member(object, key) != nullptr) {
      throw_field_error(field_path(path, key),
                        "is refused: cicd never runs privileged containers, never mounts host "
                        "paths or the Docker socket, and gives no host network, devices or "
                        "added capabilities; each run gets its own private network");
    }
  }
}

namespace {

void check(Result<void> result) {
  if (!result) {
    throw ErrorException(result.error());
  }
}

std::map<std::string, std::string> read_env(const rapidjson::Value& value,
                                            const std::string& field) {
  std::map<std::string, std::string> env;
  for (const auto& member : read_object(value, field).GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    std::string child = field_path(field, name);
    check(check_env_name(name, child));
    env.emplace(name, read_string(member.value, child));
  }
  return env;
}

std::vector<std::string> read_string_list(const rapidjson::Value& value, const std::string& field) {
  std::vector<std::string> items;
  if (value.IsString()) {
    items.push_back(read_string(value, field));
    return items;
  }
  std::size_t index = 0;
  for (const auto& element : read_array(value, field).GetArray()) {
    items.push_back(read_string(element, field + "[" + std::to_string(index++) + "]"));
  }
  return items;
}

// A path inside the workspace or the build context: relative, no "..", no NUL.
std::string read_relative_path(const rapidjson::Value& value, const std::string& field) {
  std::string path = read_string(value, field);
  bool has_parent = path == ".." || path.starts_with("../") || path.ends_with("/..") ||
                    path.find("/../") != std::string::npos;
  if (path.empty() || path.front() == '/' || has_parent || path.find('\n') != std::string::npos) {
    throw_field_error(field, "must be a relative path inside the workspace, without '..'");
  }
  return path;
}

ImageSource read_image(const rapidjson::Value& value, const std::string& field) {
  if (value.IsString()) {
    std::string name = read_string(value, field);
    bool bad =
        name.empty() || name.size() > 255 || std::any_of(name.begin(), name.end(), [](char c) {
          return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
        });
    if (bad) {
      throw_field_error(field, "must be an image name such as \"debian:12\" (no spaces, at most "
                               "255 characters)");
    }
    return name;
  }
  if (!value.IsObject()) {
    throw_field_error(field, "must be an image name string or an object {dockerfile, context, "
                             "target, buildArgs}");
  }
  reject_unknown_members(value, {"dockerfile", "context", "target", "buildArgs"}, field);
  ImageBuild build;
  if (auto* v = find_member(value, "dockerfile")) {
    build.dockerfile = read_relative_path(*v, field + ".dockerfile");
  }
  if (auto* v = find_member(value, "context")) {
    build.context = read_string(*v, field + ".context");
    if (build.context != ".") {
      build.context = read_relative_path(*v, field + ".context");
    }
  }
  if (auto* v = find_member(value, "target")) {
    build.target = read_string(*v, field + ".target");
  }
  if (auto* v = find_member(value, "buildArgs")) {
    for (const auto& member : read_object(*v, field + ".buildArgs").GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      std::string child = field_path(field + ".buildArgs", name);
      check(check_env_name(name, child));
      build.build_args.emplace(name, read_string(member.value, child));
    }
  }
  return build;
}

Service read_service(const rapidjson::Value& value, const std::string& field) {
  read_object(value, field);
  reject_isolation_escapes(value, field);
  reject_unknown_members(value, {"image", "command", "args", "env", "port"}, field);
  Service service;
  auto* image = find_member(value, "image");
  if (image == nullptr) {
    throw_field_error(field + ".image", "is required: name the sidecar's image");
  }
  service.image = read_image(*image, field + ".image");
  if (auto* v = find_member(value, "command")) {
    service.command = read_string_list(*v, field + ".command");
  }
  if (auto* v = find_member(value, "args")) {
    service.args = read_string_list(*v, field + ".args");
  }
  if (auto* v = find_member(value, "env")) {
    service.env = read_env(*v, field + ".env");
  }
  if (auto* v = find_member(value, "port")) {
    auto port = read_integer(*v, field + ".port");
    if (port < 1 || port > 65535) {
      throw_field_error(field + ".port", "must be a TCP port between 1 and 65535");
    }
    service.port = static_cast<int>(port);
  }
  return service;
}

ResultSpec read_result(const rapidjson::Value& value, const std::string& field) {
  read_object(value, field);
  reject_unknown_members(value, {"path", "type"}, field);
  ResultSpec result;
  auto* path = find_member(value, "path");
  if (path == nullptr) {
    throw_field_error(field + ".path", "is required: the file or folder to keep, relative to "
                                       "the workdir");
  }
  result.path = read_relative_path(*path, field + ".path");
  if (auto* v = find_member(value, "type")) {
    auto type = read_string(*v, field + ".type");
    if (type == "junit") {
      result.type = ResultType::junit;
    } else if (type == "file") {
      result.type = ResultType::file;
    } else if (type == "dir") {
      result.type = ResultType::dir;
    } else {
      throw_field_error(field + ".type", "must be one of junit, file, dir");
    }
  }
  return result;
}

std::string_view to_string(ResultType type) {
  switch (type) {
  case ResultType::junit:
    return "junit";
  case ResultType::file:
    return "file";
  case ResultType::dir:
    return "dir";
  }
  return "file";
}

void write_string_map(JsonWriter& writer, const std::map<std::string, std::string>& map) {
  writer.StartObject();
  for (const auto& [key, value] : map) {
    write_key(writer, key);
    write_string(writer, value);
  }
  writer.EndObject();
}

void write_string_list(JsonWriter& writer, const std::vector<std::string>& items) {
  writer.StartArray();
  for (const auto& item : items) {
    write_string(writer, item);
  }
  writer.EndArray();
}

void write_image(JsonWriter& writer, const ImageSource& image) {
  if (const auto* name = std::get_if<std::string>(&image)) {
    write_string(writer, *name);
    return;
  }
  const auto& build = std::get<ImageBuild>(image);
  writer.StartObject();
  writer.Key("dockerfile");
  write_string(writer, build.dockerfile);
  writer.Key("context");
  write_string(writer, build.context);
  if (!build.target.empty()) {
    writer.Key("target");
    write_string(writer, build.target);
  }
  writer.Key("buildArgs");
  write_string_map(writer, build.build_args);
  writer.EndObject();
}

} // namespace

RunSpec read_run_spec(const rapidjson::Value& object, const std::string& path) {
  reject_isolation_escapes(object, path);
  RunSpec spec;
  auto* image = find_member(object, "image");
  if (image == nullptr) {
    throw_field_error(field_path(path, "image"),
                      "is required: an image name (\"debian:12\") or {\"dockerfile\": …}");
  }
  spec.image = read_image(*image, field_path(path, "image"));
  auto* script = find_member(object, "script");
  if (script == nullptr) {
    throw_field_error(field_path(path, "script"), "is required: the shell commands to run");
  }
  auto lines = read_string_list(*script, field_path(path, "script"));
  for (const auto& line : lines) {
    spec.script += spec.script.empty() ? line : "\n" + line;
  }
  if (spec.script.empty()) {
    throw_field_error(field_path(path, "script"), "is empty: give at least one command");
  }
  if (auto* v = find_member(object, "workdir")) {
    spec.workdir = read_string(*v, field_path(path, "workdir"));
    if (spec.workdir.empty() || spec.workdir.front() != '/' ||
        spec.workdir.find("..") != std::string::npos) {
      throw_field_error(field_path(path, "workdir"), "must be an absolute path without '..'");
    }
  }
  if (auto* v = find_member(object, "user")) {
    spec.user = read_string(*v, field_path(path, "user"));
  }
  if (auto* v = find_member(object, "env")) {
    spec.env = read_env(*v, field_path(path, "env"));
  }
  if (auto* v = find_member(object, "services")) {
    auto field = field_path(path, "services");
    for (const auto& member : read_object(*v, field).GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto child = field_path(field, name);
      check(check_simple_name(name, child));
      spec.services.emplace(name, read_service(member.value, child));
    }
  }
  if (auto* v = find_member(object, "secrets")) {
    auto field = field_path(path, "secrets");
    spec.secrets = read_string_list(*v, field);
    for (std::size_t i = 0; i < spec.secrets.size(); ++i) {
      check(check_env_name(spec.secrets[i], field + "[" + std::to_string(i) + "]"));
    }
    std::sort(spec.secrets.begin(), spec.secrets.end());
    spec.secrets.erase(std::unique(spec.secrets.begin(), spec.secrets.end()), spec.secrets.end());
  }
  if (auto* v = find_member(object, "timeout")) {
    auto field = field_path(path, "timeout");
    spec.timeout = read_string(*v, field);
    if (auto parsed = parse_duration(spec.timeout, field); !parsed) {
      throw ErrorException(parsed.error());
    }
  }
  if (auto* v = find_member(object, "resourceClass")) {
    auto field = field_path(path, "resourceClass");
    spec.resource_class = read_string(*v, field);
    check(check_simple_name(spec.resource_class, field));
  }
  if (auto* v = find_member(object, "results")) {
    auto field = field_path(path, "results");
    for (const auto& member : read_object(*v, field).GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto child = field_path(field, name);
      check(check_simple_name(name, child));
      if (name == "console") {
        throw_field_error(child, "is reserved for the run's console log: choose another name");
      }
      spec.results.emplace(name, read_result(member.value, child));
    }
  }
  return spec;
}

void write_run_spec_members(JsonWriter& writer, const RunSpec& spec) {
  writer.Key("image");
  write_image(writer, spec.image);
  writer.Key("script");
  write_string(writer, spec.script);
  writer.Key("workdir");
  write_string(writer, spec.workdir);
  if (!spec.user.empty()) {
    writer.Key("user");
    write_string(writer, spec.user);
  }
  writer.Key("env");
  write_string_map(writer, spec.env);
  writer.Key("services");
  writer.StartObject();
  for (const auto& [name, service] : spec.services) {
    write_key(writer, name);
    writer.StartObject();
    writer.Key("image");
    write_image(writer, service.image);
    if (!service.command.empty()) {
      writer.Key("command");
      write_string_list(writer, service.command);
    }
    if (!service.args.empty()) {
      writer.Key("args");
      write_string_list(writer, service.args);
    }
    writer.Key("env");
    write_string_map(writer, service.env);
    if (service.port) {
      writer.Key("port");
      writer.Int(*service.port);
    }
    writer.EndObject();
  }
  writer.EndObject();
  writer.Key("secrets");
  write_string_list(writer, spec.secrets);
  if (!spec.timeout.empty()) {
    writer.Key("timeout");
    write_string(writer, spec.timeout);
  }
  writer.Key("resourceClass");
  write_string(writer, spec.resource_class);
  writer.Key("results");
  writer.StartObject();
  for (const auto& [name, result] : spec.results) {
    write_key(writer, name);
    writer.StartObject();
    writer.Key("path");
    write_string(writer, result.path);
    writer.Key("type");
    write_string(writer, to_string(result.type));
    writer.EndObject();
  }
  writer.EndObject();
}

std::string to_json(const RunSpec& spec) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  write_run_spec_members(writer, spec);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<RunSpec> parse_run_spec_json(std::string_view json) {
  auto document = parse_json_object(json);
  if (!document) {
    return document.error();
  }
  try {
    return read_run_spec(*document, "");
  } catch (const ErrorException& e) {
    return e.error();
  }
}

} // namespace cicd::model

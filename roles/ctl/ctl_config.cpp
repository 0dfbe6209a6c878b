#include "ctl_config.hpp"

#include "ctl_error.hpp"

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace cicd::ctl {
namespace fs = std::filesystem;

fs::path default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "cicd" / "config";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : "/") / ".config" / "cicd" / "config";
}

ConfigFile read_config(const fs::path& path) {
  ConfigFile config;
  if (!fs::exists(path)) {
    return config;
  }
  try {
    auto root = YAML::LoadFile(path.string());
    if (root.IsNull()) {
      return config;
    }
    if (!root.IsMap()) {
      throw YAML::Exception(root.Mark(), "the file must be a map");
    }
    if (auto current = root["current-context"]) {
      config.current_context = current.as<std::string>();
    }
    if (auto contexts = root["contexts"]) {
      for (const auto& entry : contexts) {
        ContextEntry context;
        if (auto server = entry.second["server"]) {
          context.server = server.as<std::string>();
        }
        if (auto token = entry.second["token"]) {
          context.token = token.as<std::string>();
        }
        if (auto ca_file = entry.second["ca-file"]) {
          context.ca_file = ca_file.as<std::string>();
        }
        config.contexts[entry.first.as<std::string>()] = context;
      }
    }
  } catch (const YAML::Exception& e) {
    throw CtlError(k_exit_usage, path.string() + ": " + e.what(),
                   "fix or remove the file, or run `cicd ctl login` again");
  }
  return config;
}

void write_config(const fs::path& path, const ConfigFile& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "current-context" << YAML::Value << config.current_context;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, context] : config.contexts) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "server" << YAML::Value << context.server;
    out << YAML::Key << "token" << YAML::Value << context.token;
    if (!context.ca_file.empty()) {
      out << YAML::Key << "ca-file" << YAML::Value << context.ca_file;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  ::chmod(path.parent_path().c_str(), 0700);
  auto temp = path;
  temp += ".new";
  // Created 0600 before a byte of a token is written, then renamed over the old file.
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw CtlError(k_exit_usage, "cannot write " + temp.string() + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  std::string text = std::string(out.c_str()) + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  written = ::fsync(fd) == 0 && written;
  ::close(fd);
  if (!written || std::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    throw CtlError(k_exit_usage, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

Connection resolve_connection(const ConnectionFlags& flags) {
  Connection connection;
  std::optional<ContextEntry> context;
  auto config = read_config(flags.config);
  auto name = flags.context.value_or(config.current_context);
  if (!name.empty()) {
    auto found = config.contexts.find(name);
    if (found != config.contexts.end()) {
      context = found->second;
    } else if (flags.context) {
      throw CtlError(k_exit_usage, "no context named '" + name + "' in " + flags.config.string(),
                     "`cicd ctl login --context " + name + " --server URL` creates it");
    }
  }
  const char* env_server = std::getenv("CICD_SERVER");
  const char* env_token = std::getenv("CICD_TOKEN");
  const char* env_ca_file = std::getenv("CICD_CA_FILE");
  // An explicit --context wins over the environment; the environment over the file's default.
  bool context_first = flags.context.has_value();
  auto pick = [&](const std::optional<std::string>& flag, const char* env,
                  const std::string* from_context) -> std::string {
    if (flag) {
      return *flag;
    }
    if (context_first && from_context != nullptr && !from_context->empty()) {
      return *from_context;
    }
    if (env != nullptr && *env != '\0') {
      return env;
    }
    return from_context != nullptr ? *from_context : std::string();
  };
  connection.server = pick(flags.server, env_server, context ? &context->server : nullptr);
  connection.token = pick(flags.token, env_token, context ? &context->token : nullptr);
  connection.ca_file = pick(flags.ca_file, env_ca_file, context ? &context->ca_file : nullptr);
  while (!connection.server.empty() && connection.server.back() == '/') {
    connection.server.pop_back();
  }
  if (connection.server.empty()) {
    throw usage_error("no server: give --server URL, set CICD_SERVER, or run `cicd ctl login`");
  }
  if (!connection.server.starts_with("http://") && !connection.server.starts_with("https://")) {
    throw usage_error("the server must be an http:// or https:// URL, not '" + connection.server +
                      "'");
  }
  if (!connection.ca_file.empty() && ::access(connection.ca_file.c_str(), R_OK) != 0) {
    throw usage_error("cannot read the CA file " + connection.ca_file +
                      " (--ca-file, CICD_CA_FILE "
                      "or the context's ca-file): " +
                      std::strerror(errno));
  }
  return connection;
}

} // namespace cicd::ctl

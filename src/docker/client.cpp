#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace cicd::docker {

namespace {
constexpr std::string_view k_default_socket = "/var/run/docker.sock";
constexpr std::string_view k_unix_scheme = "unix://";
} // namespace

Client::Client(std::string socket_path) : m_socket_path(std::move(socket_path)) {}

Client Client::from_environment() {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || *host == '\0') {
    return Client(std::string(k_default_socket));
  }
  std::string_view value(host);
  if (!value.starts_with(k_unix_scheme) || value.size() == k_unix_scheme.size()) {
    throw Fatal(fmt::format("DOCKER_HOST={} is not supported: cicd talks to the Docker engine over "
                            "a unix socket only. Set DOCKER_HOST=unix:///path/to/docker.sock, or "
                            "unset it to use {}",
                            value, k_default_socket));
  }
  return Client(std::string(value.substr(k_unix_scheme.size())));
}

Result<std::string> Client::api_version() {
  auto body = detail::call(m_socket_path, detail::http::verb::get, "/version");
  if (!body) {
    return body.error();
  }
  auto document = detail::parse_docker_json(*body, "GET /version");
  if (!document) {
    return document.error();
  }
  if (!document->IsObject() || !document->HasMember("ApiVersion") ||
      !(*document)["ApiVersion"].IsString()) {
    return make_error(ErrorCode::internal, "Docker: GET /version did not name an ApiVersion");
  }
  return std::string((*document)["ApiVersion"].GetString());
}

} // namespace cicd::docker

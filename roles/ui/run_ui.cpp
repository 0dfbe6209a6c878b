// `cicd ui --listen HOST:PORT --server URL`: the web pages on their own, calling the master.
#include "ui.hpp"

#include "cicd/config/options.hpp"
#include "cicd/config/tls_options.hpp"
#include "cicd/core/error.hpp"
#include "cicd/core/log.hpp"
#include "cicd/core/service_manager.hpp"
#include "cicd/http/client.hpp"
#include "cicd/http/server.hpp"

#include <boost/program_options.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cicd::ui {
namespace po = boost::program_options;

namespace {
constexpr const char* k_usage =
    "Usage: cicd ui [--listen 127.0.0.1:8081] --server http://master:8080\n\n"
    "Serves the web pages. Each person signs in with their own API token (cicd master token\n"
    "create); the pages call the master's API with it, so they see and may do exactly what\n"
    "the token allows.";
} // namespace

int run_ui(int argc, const char* const* argv) {
  std::string listen = "127.0.0.1:8081";
  UiOptions options;
  http::ServerOptions server_options;
  std::string ca_file;
  po::options_description description("UI");
  config::add_tls_options(description, server_options);
  description.add_options()("ca-file", po::value(&ca_file),
                            "the CAs (PEM) that sign the master's certificate, when the "
                            "system's store does not hold them");
  description.add_options()("listen", po::value(&listen)->default_value(listen),
                            "address to serve the pages on")(
      "server", po::value(&options.api_url)->default_value("http://127.0.0.1:8080"),
      "the master's URL")("secure-cookies", po::bool_switch(&options.secure_cookie),
                          "mark the session cookie Secure (the pages are served over HTTPS, "
                          "for example behind a TLS proxy)");
  auto vm = config::parse_options("ui", argc, argv, description, k_usage);
  if (vm.empty()) {
    return 0;
  }
  while (!options.api_url.empty() && options.api_url.back() == '/') {
    options.api_url.pop_back();
  }
  if (!options.api_url.starts_with("http://") && !options.api_url.starts_with("https://")) {
    throw Fatal(fmt::format("--server {}: give the master's URL, http://HOST:PORT or "
                            "https://HOST:PORT",
                            options.api_url),
                2);
  }
  config::check_tls_options(server_options);
  if (!ca_file.empty() && ::access(ca_file.c_str(), R_OK) != 0) {
    throw Fatal(fmt::format("--ca-file {}: cannot read it: {}", ca_file, std::strerror(errno)), 2);
  }
  http::set_default_ca_file(ca_file);
  auto address = config::parse_listen(listen);
  Ui ui(options);
  server_options.host = address.host;
  server_options.port = address.port;
  http::Server server(server_options,
                      [&ui](http::Request&& request) { return ui.handle(std::move(request)); });
  log::info("serving the web pages on {}://{}:{}/ for the API at {}",
            server_options.tls.enabled() ? "https" : "http", address.host, server.port(),
            options.api_url);
  service_manager::notify_ready(); // systemd (Type=notify): the pages' port is bound
  server.run();
  service_manager::notify_stopping();
  return 0;
}

} // namespace cicd::ui

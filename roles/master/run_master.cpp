#include "master.hpp"

#include "api.hpp"
#include "status_reporter.hpp"
#include "sweeper.hpp"

#include "cicd/config/tls_options.hpp"
#include "cicd/core/host.hpp"
#include "cicd/core/log.hpp"
#include "cicd/core/service_manager.hpp"
#include "cicd/crypto/random.hpp"
#include "cicd/http/server.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

namespace cicd::master {
namespace po = boost::program_options;

namespace {

constexpr const char* k_usage =
    "Usage: cicd master [options]\n"
    "       cicd master token create --sub NAME --scope read|trigger|admin [--ttl 30d]\n\n"
    "Serves the REST API (jobs, runs, secrets) over the database and the queue.";

// Refuses to start on a secrets key other than the one the database's secrets were sealed
// with: better a clear stop now than runs failing later on undecryptable secrets.
void pin_secrets_key(store::Store& store, const crypto::SecretBox& box, const std::string& file) {
  auto pinned = store.pin_setting("secrets_key_fingerprint", box.fingerprint());
  if (!pinned) {
    throw Fatal("cannot read the settings from the database: " + pinned.error().message);
  }
  if (*pinned != box.fingerprint()) {
    throw Fatal("the secrets key " + file +
                " is not the one this database's secrets were stored with (fingerprint " + *pinned +
                "): point --secrets-key at the original key file");
  }
}

} // namespace

std::string sweeper_holder() {
  return fmt::format("{}-{}-{}", host_name(), getpid(), crypto::to_hex(crypto::random_bytes(4)));
}

Services open_services(const config::ServiceOptions& options) {
  auto keys = config::load_keys(options);
  auto store = store::open_store(options.db);
  pin_secrets_key(*store, keys.secret_box, options.secrets_key);
  return Services{
      std::move(keys), std::move(store), queue::open_queue(options.queue),
      results::open_result_store(options.results),
      std::make_unique<git::RepoCache>(std::filesystem::path(options.data_dir) / "git-cache")};
}

void serve_api(const config::ServiceOptions& options, const ApiLimitOptions& limits,
               Services& services, const std::function<void(std::uint16_t port)>& on_listening,
               const std::vector<Mount>& mounts) {
  auto listen = config::parse_listen(options.listen);
  Api api(ApiDependencies{*services.store, *services.queue, *services.results,
                          services.keys.token_key, services.keys.secret_box, *services.repo_cache},
          limits.rates);
  auto server_options = limits.server;
  server_options.host = listen.host;
  server_options.port = listen.port;
  http::Server server(server_options, [&api, &mounts](http::Request&& request) {
    std::string_view target(request.target().data(), request.target().size());
    for (const auto& mount : mounts) {
      if (target.starts_with(mount.prefix) &&
          (target.size() == mount.prefix.size() || target[mount.prefix.size()] == '/' ||
           target[mount.prefix.size()] == '?')) {
        return mount.handler(std::move(request));
      }
    }
    return api.handle(std::move(request));
  });
  bool tls = server_options.tls.enabled();
  log::info("serving the API on {}://{}:{}", tls ? "https" : "http", listen.host, server.port());
  if (tls) {
    log::info("TLS certificate {} (SHA-256 {})", server_options.tls.cert_file,
              server.tls_fingerprint());
  }
  // The mounts call the API like any client. Over TLS they get a plain-HTTP port of their own
  // on loopback: the certificate need not name 127.0.0.1.
  std::unique_ptr<http::Server> loopback;
  std::thread loopback_thread;
  if (tls && !mounts.empty()) {
    auto loopback_options = limits.server;
    loopback_options.host = "127.0.0.1";
    loopback_options.port = 0;
    loopback_options.tls = {};
    loopback_options.trusted_proxies.clear();
    loopback_options.io_threads = 1;
    loopback = std::make_unique<http::Server>(loopback_options, [&api](http::Request&& request) {
      return api.handle(std::move(request));
    });
    loopback_thread = std::thread([&loopback] { loopback->run(); });
  }
  on_listening(loopback ? loopback->port() : server.port());
  server.run();
  if (loopback) {
    loopback->stop();
    loopback_thread.join();
  }
  log::info("stopped");
}

int run_master(int argc, const char* const* argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "token") {
    return create_token("master", argc - 1, argv + 1);
  }
  config::ServiceOptions options;
  po::options_description description("Master");
  config::add_service_options(description, options);
  SweeperOptions sweeper_options{sweeper_holder()};
  add_sweeper_options(description, sweeper_options);
  ApiLimitOptions limits;
  add_api_limit_options(description, limits);
  config::add_tls_options(description, limits.server);
  StatusReporterOptions reporter_options;
  add_status_reporter_options(description, reporter_options);
  description.add_options()("migrate-only", "apply database migrations, then exit");
  auto vm = config::parse_options("master", argc, argv, description, k_usage);
  if (vm.empty()) {
    return 0;
  }
  config::resolve_defaults(options);
  check_api_limit_options(limits);
  config::check_tls_options(limits.server);
  if (vm.count("migrate-only")) {
    store::open_store(options.db);
    log::info("database migrations applied");
    return 0;
  }
  auto services = open_services(options);
  Sweeper sweeper(*services.store, *services.queue, *services.results, sweeper_options);
  sweeper.start();
  StatusReporter reporter(*services.store, services.keys.secret_box, reporter_options);
  reporter.start();
  // systemd (Type=notify): ready once the API listens; stopping once it stopped serving.
  serve_api(options, limits, services, [](std::uint16_t) { service_manager::notify_ready(); });
  service_manager::notify_stopping();
  reporter.stop();
  sweeper.stop();
  return 0;
}

} // namespace cicd::master

#include "standalone.hpp"

#include "../agent/agent_identity.hpp"
#include "../agent/agent_loop.hpp"
#include "../agent/agent_presence.hpp"
#include "../master/master.hpp"
#include "../master/status_reporter.hpp"
#include "../master/sweeper.hpp"
#include "../ui/ui.hpp"

#include "cicd/config/tls_options.hpp"
#include "cicd/core/log.hpp"
#include "cicd/core/service_manager.hpp"

#include <fmt/format.h>

namespace cicd::standalone {
namespace po = boost::program_options;

namespace {
constexpr const char* k_usage =
    "Usage: cicd standalone [options]\n"
    "       cicd standalone token create --sub NAME --scope read|trigger|admin [--ttl 30d]\n\n"
    "Runs the API, an agent and the web pages (at /ui/) in one process on SQLite, an in-process\n"
    "queue and results on disk under --data-dir. Jobs run in Docker (DOCKER_HOST, or "
    "/var/run/docker.sock).\n"
    "SIGINT/SIGTERM aborts the runs in progress, cleans up and exits.";

} // namespace

int run_standalone(int argc, const char* const* argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "token") {
    return master::create_token("standalone", argc - 1, argv + 1);
  }
  config::ServiceOptions options;
  agent::AgentOptions agent_options;
  int grace_seconds = 10;
  po::options_description description("Standalone");
  config::add_service_options(description, options);
  // The only agent serves every class: a run of a defined class never waits for another.
  agent_options.resource_classes = {"*"};
  description.add_options()("slots", po::value(&agent_options.slots)->default_value(0),
                            "runs at once (0: one per core)")(
      "cpus", po::value(&agent_options.cpus)->default_value(0),
      "CPUs the resource classes of the runs in hand may add up to (0: the number of cores)")(
      "memory-mib", po::value(&agent_options.memory_mib)->default_value(0),
      "MiB the resource classes of the runs in hand may add up to (0: the machine's memory)")(
      "cpu-threshold", po::value(&agent_options.cpu_threshold)->default_value(80.0),
      "take no new run while the machine's CPU use is above this percentage")(
      "grace", po::value(&grace_seconds)->default_value(grace_seconds),
      "seconds between SIGTERM and SIGKILL when a run is stopped");
  master::SweeperOptions sweeper_options{master::sweeper_holder()};
  master::add_sweeper_options(description, sweeper_options);
  master::ApiLimitOptions limits;
  master::add_api_limit_options(description, limits);
  config::add_tls_options(description, limits.server);
  master::StatusReporterOptions reporter_options;
  master::add_status_reporter_options(description, reporter_options);
  auto vm = config::parse_options("standalone", argc, argv, description, k_usage);
  if (vm.empty()) {
    return 0;
  }
  config::resolve_defaults(options);
  master::check_api_limit_options(limits);
  config::check_tls_options(limits.server);
  auto services = master::open_services(options);

  auto docker = docker::Client::from_environment();
  if (auto version = docker.api_version(); !version) {
    log::warn("no Docker engine answers at {} ({}): runs will error until one does (start "
              "dockerd, or set DOCKER_HOST=unix:///path/docker.sock)",
              docker.socket_path(), version.error().message);
  }
  executor::ExecutorOptions executor_options;
  executor_options.agent_id = agent::load_or_create_agent_id(options.data_dir);
  executor_options.work_dir = std::filesystem::path(options.data_dir) / "work";
  executor_options.grace = std::chrono::seconds(grace_seconds);
  std::filesystem::create_directories(executor_options.work_dir);
  executor::RunExecutor executor(docker, *services.store, *services.results,
                                 services.keys.secret_box, executor_options);
  agent::AgentLoop agent(*services.queue, *services.store, executor, agent_options);
  agent.start(true); // the in-process queue starts empty
  agent::AgentPresence presence(*services.store, executor_options.agent_id, agent.slots(),
                                agent_options.resource_classes, std::chrono::seconds(5),
                                [&agent] { return agent.running(); });
  presence.start();
  master::Sweeper sweeper(*services.store, *services.queue, *services.results, sweeper_options);
  sweeper.start();
  master::StatusReporter reporter(*services.store, services.keys.secret_box, reporter_options);
  reporter.start();
  // The web pages at /ui/, calling this process's own API over loopback like any client.
  ui::Ui ui(ui::UiOptions{"", "/ui", false});
  auto listen = config::parse_listen(options.listen);
  std::string api_host = limits.server.tls.enabled() ? "127.0.0.1" : listen.host;
  if (api_host == "0.0.0.0" || api_host.empty()) {
    api_host = "127.0.0.1";
  } else if (api_host == "::" || api_host == "[::]") {
    api_host = "[::1]";
  } else if (api_host.find(':') != std::string::npos && api_host.front() != '[') {
    api_host = "[" + api_host + "]";
  }
  master::serve_api(options, limits, services,
                    [&ui, &api_host](std::uint16_t port) {
                      ui.set_api_url(fmt::format("http://{}:{}", api_host, port));
                      log::info("serving the web pages on /ui/");
                      service_manager::notify_ready(); // systemd (Type=notify)
                    },
                    {master::Mount{"/ui", [&ui](http::Request&& request) {
                                     return ui.handle(std::move(request));
                                   }}});
  service_manager::notify_stopping();
  reporter.stop();
  sweeper.stop();
  log::info("stopping: aborting the runs in progress");
  agent.stop_now();
  presence.stop();
  return 0;
}

} // namespace cicd::standalone

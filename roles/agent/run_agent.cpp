#include "agent.hpp"

#include "agent_endpoint.hpp"
#include "agent_identity.hpp"
#include "agent_loop.hpp"
#include "agent_metrics.hpp"
#include "agent_presence.hpp"

#include "cicd/config/options.hpp"
#include "cicd/core/log.hpp"
#include "cicd/core/service_manager.hpp"
#include "cicd/docker/client.hpp"
#include "cicd/results/result_store.hpp"

#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/split.hpp>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <future>

namespace cicd::agent {
namespace po = boost::program_options;

namespace {

constexpr const char* k_usage =
    "Usage: cicd agent --db postgresql://… --queue amqp://… [options]\n\n"
    "Takes runs from the queue and runs them in Docker (DOCKER_HOST, or\n"
    "/var/run/docker.sock), writing status, console and results itself.\n"
    "SIGTERM or SIGINT: take nothing new, let the runs in progress finish (up to\n"
    "--drain-timeout, then abort them), clean up, leave the agent list, exit 0.\n"
    "A second SIGTERM or SIGINT aborts the runs in progress at once.\n"
    "GET /healthz and GET /metrics (Prometheus) answer on --listen, without a token.";

struct AgentRoleOptions {
  std::string data_dir = "/var/lib/cicd";
  std::string db;
  std::string queue;
  std::string results;
  std::string secrets_key;
  std::string resource_classes = "default";
  std::string listen = "127.0.0.1:9101";
  std::string registry;
  int build_timeout_seconds = 3600;
  int slots = 0;
  double cpus = 0;
  std::int64_t memory_mib = 0;
  double cpu_threshold = 80.0;
  int grace_seconds = 10;
  int drain_timeout_seconds = 3600;
  int heartbeat_seconds = 5;
  int lease_seconds = 60;
};

// The secrets key must be the masters' own: an agent never makes one up.
crypto::SecretBox load_secrets_key(const std::string& file) {
  if (!std::filesystem::exists(file)) {
    throw Fatal("the secrets key " + file +
                " does not exist: copy the masters' secrets key there, or give --secrets-key");
  }
  return crypto::SecretBox::load(file);
}

void check_secrets_key(store::Store& store, const crypto::SecretBox& box, const std::string& file) {
  auto pinned = store.get_setting("secrets_key_fingerprint");
  if (!pinned) {
    throw Fatal("cannot read the settings from the database: " + pinned.error().message);
  }
  if (*pinned && **pinned != box.fingerprint()) {
    throw Fatal("the secrets key " + file + " is not the one the masters use (fingerprint " +
                **pinned + "): copy theirs, or the agent could not decrypt any job secret");
  }
}

// Signals are taken by sigtimedwait on the main thread: blocked here, before any thread
// starts, so that every thread inherits the mask.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

} // namespace

int run_agent(int argc, const char* const* argv) {
  AgentRoleOptions options;
  po::options_description description("Agent");
  description.add_options()("data-dir",
                            po::value(&options.data_dir)->default_value(options.data_dir),
                            "where the agent id and the per-run work dirs live")(
      "db", po::value(&options.db), "database URL: postgresql://… (the masters' database)")(
      "queue", po::value(&options.queue), "queue URL: amqp://user:password@host:port/vhost")(
      "results", po::value(&options.results),
      "result store URL: file:///dir (shared with the masters) or s3://…")(
      "secrets-key", po::value(&options.secrets_key),
      "the masters' secrets key file (default <data-dir>/secrets.key)")(
      "resource-classes",
      po::value(&options.resource_classes)->default_value(options.resource_classes),
      "comma-separated resource classes this agent takes runs of (\"*\": every defined "
      "class)")("slots", po::value(&options.slots)->default_value(0),
                "runs at once (0: one per core)")(
      "cpus", po::value(&options.cpus)->default_value(0),
      "CPUs the resource classes of the runs in hand may add up to (0: the number of cores)")(
      "memory-mib", po::value(&options.memory_mib)->default_value(0),
      "MiB the resource classes of the runs in hand may add up to (0: the machine's memory)")(
      "cpu-threshold", po::value(&options.cpu_threshold)->default_value(options.cpu_threshold),
      "take no new run while the machine's CPU use is above this percentage")(
      "grace", po::value(&options.grace_seconds)->default_value(options.grace_seconds),
      "seconds between SIGTERM and SIGKILL when a run is stopped")(
      "drain-timeout",
      po::value(&options.drain_timeout_seconds)->default_value(options.drain_timeout_seconds),
      "seconds a drain lets the runs in progress finish before aborting them")(
      "heartbeat", po::value(&options.heartbeat_seconds)->default_value(options.heartbeat_seconds),
      "seconds between the agent's heartbeats in the agent list")(
      "lease", po::value(&options.lease_seconds)->default_value(options.lease_seconds),
      "seconds a run's lease lasts without renewal (renewed every second): past it, the "
      "masters' sweeper declares the agent lost and the run errored")(
      "registry", po::value(&options.registry),
      "HOST:PORT of a Docker registry the agents share the images they build through: an "
      "image built once from a repository's Dockerfile is pushed there and pulled by the others")(
      "build-timeout",
      po::value(&options.build_timeout_seconds)->default_value(options.build_timeout_seconds),
      "seconds an image build from a repository's Dockerfile may take")(
      "listen", po::value(&options.listen)->default_value(options.listen),
      "HOST:PORT of the agent's GET /healthz and GET /metrics (no token: keep it on loopback "
      "or a private network; port 0 picks a free one)");
  auto vm = config::parse_options("agent", argc, argv, description, k_usage);
  if (vm.empty()) {
    return 0;
  }
  if (options.db.empty() || options.queue.empty()) {
    throw Fatal("--db and --queue are required: the masters' database and broker", 2);
  }
  if (options.queue.starts_with("inproc:")) {
    throw Fatal("--queue inproc: works only inside `cicd standalone`: give the masters' "
                "amqp://… broker",
                2);
  }
  auto listen = config::parse_listen(options.listen); // a typo stops here, before any work
  std::filesystem::path data_dir(options.data_dir);
  std::filesystem::create_directories(data_dir / "work");
  if (options.secrets_key.empty()) {
    options.secrets_key = (data_dir / "secrets.key").string();
  }
  if (options.results.empty()) {
    options.results = "file://" + (data_dir / "results").string();
  }
  auto stop_signals = block_stop_signals();

  auto secret_box = load_secrets_key(options.secrets_key);
  auto store = store::open_store(options.db);
  check_secrets_key(*store, secret_box, options.secrets_key);
  auto queue = queue::open_queue(options.queue);
  auto results = results::open_result_store(options.results);
  auto docker = docker::Client::from_environment();
  if (auto version = docker.api_version(); !version) {
    log::warn("no Docker engine answers at {} ({}): runs will error until one does",
              docker.socket_path(), version.error().message);
  }

  executor::ExecutorOptions executor_options;
  executor_options.agent_id = load_or_create_agent_id(data_dir);
  executor_options.work_dir = data_dir / "work";
  executor_options.grace = std::chrono::seconds(options.grace_seconds);
  executor_options.lease_length = std::chrono::seconds(std::max(options.lease_seconds, 3));
  executor_options.registry = options.registry;
  executor_options.build_timeout = std::chrono::seconds(options.build_timeout_seconds);
  executor::RunExecutor executor(docker, *store, *results, secret_box, executor_options);

  AgentOptions loop_options;
  loop_options.slots = options.slots;
  loop_options.cpus = options.cpus;
  loop_options.memory_mib = options.memory_mib;
  loop_options.cpu_threshold = options.cpu_threshold;
  loop_options.resource_classes.clear();
  boost::split(loop_options.resource_classes, options.resource_classes, boost::is_any_of(","));
  AgentMetrics metrics;
  loop_options.on_run_end = [&metrics](model::RunStatus status) { metrics.run_ended(status); };
  AgentLoop loop(*queue, *store, executor, loop_options);
  // After block_stop_signals(): see AgentEndpoint.
  AgentEndpoint endpoint(options.listen, loop, metrics);
  log::info("serving GET /healthz and GET /metrics on http://{}:{}", listen.host, endpoint.port());

  const auto& agent_id = executor_options.agent_id;
  AgentPresence presence(*store, agent_id, loop.slots(), loop_options.resource_classes,
                         std::chrono::seconds(options.heartbeat_seconds),
                         [&loop] { return loop.running(); });

  loop.start(false); // the broker keeps queued messages; the masters' sweeper finds lost ones
  presence.start();
  log::info("agent {} is taking runs of {}", agent_id, options.resource_classes);
  service_manager::notify_ready(); // systemd (Type=notify): consuming the queue

  // Waits for a signal or a drain request; the first begins a drain, a second signal aborts.
  std::future<void> drained;
  int signals_seen = 0;
  const timespec pace{0, 250'000'000};
  for (;;) {
    int signal = sigtimedwait(&stop_signals, nullptr, &pace);
    if (signal > 0) {
      ++signals_seen;
    }
    bool asked = signals_seen > 0 || presence.drain_requested() || loop.drain_requested();
    if (asked && !drained.valid()) {
      service_manager::notify_stopping();
      metrics.set_draining();
      log::info("draining: taking no new run, letting {} run(s) finish (up to {}s){}",
                loop.running(), options.drain_timeout_seconds,
                signals_seen > 0 ? "; signal again to abort them" : "");
      drained = std::async(std::launch::async, [&] {
        loop.drain(std::chrono::seconds(options.drain_timeout_seconds));
      });
    }
    if (signal > 0 && signals_seen == 2) {
      log::info("aborting the runs in progress");
      loop.abort_all("agent shut down");
    }
    if (drained.valid() && drained.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      break;
    }
  }
  drained.get();
  presence.stop();
  log::info("agent {} stopped", agent_id);
  return 0;
}

} // namespace cicd::agent

#include "image_preparer.hpp"
#include "local_file.hpp"
#include "run_steps.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fmt/format.h>

#include <thread>

namespace cicd::executor {
namespace {

// Within one second: a service whose port drops packets must not hold up the ready check.
bool port_accepts(const std::string& address, int port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) {
    return false;
  }
  bool connected = false;
  socket.async_connect({ip, static_cast<unsigned short>(port)},
                       [&](const boost::system::error_code& result) { connected = !result; });
  io.run_for(std::chrono::seconds(1));
  return connected;
}

// Waits until the sidecar is ready, or explains why it never was.
Result<void> wait_ready(docker::Client& docker, const std::string& name, const std::string& id,
                        const model::Service& service, const std::string& network,
                        const ExecutorOptions& options, const CancelSignal& cancel) {
  auto deadline = std::chrono::steady_clock::now() + options.sidecar_ready_timeout;
  for (;;) {
    auto state = docker.inspect_container(id);
    if (!state) {
      return state.error();
    }
    if (!state->running) {
      return make_error(ErrorCode::unprocessable,
                        fmt::format("service '{}' exited with code {} before it was ready (its "
                                    "output is in the results as services/{}.log)",
                                    name, state->exit_code, name));
    }
    if (state->health == "unhealthy") {
      return make_error(ErrorCode::unprocessable,
                        fmt::format("service '{}' reported unhealthy (its output is in the "
                                    "results as services/{}.log)",
                                    name, name));
    }
    bool ready = false;
    if (service.port) {
      auto ip = state->ip_addresses.find(network);
      ready = ip != state->ip_addresses.end() && port_accepts(ip->second, *service.port);
    } else {
      ready = state->health.empty() || state->health == "healthy";
    }
    if (ready) {
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      auto what = service.port ? fmt::format("port {} did not accept connections", *service.port)
                               : std::string("its healthcheck did not pass");
      return make_error(ErrorCode::unprocessable,
                        fmt::format("service '{}' was not ready within {}s: {} (its output is in "
                                    "the results as services/{}.log)",
                                    name, options.sidecar_ready_timeout.count(), what, name));
    }
    if (cancel.wait_for(std::chrono::milliseconds(200))) {
      return make_error(ErrorCode::unprocessable, "cancelled while waiting for service " + name);
    }
  }
}

} // namespace

Result<void> start_sidecars(docker::Client& docker, const model::Run& run,
                            const model::RunSpec& spec, const std::string& network,
                            const ExecutorOptions& options, ImagePreparer& images,
                            RunResources& resources, ConsoleWriter& console,
                            const CancelSignal& cancel, std::vector<Sidecar>& sidecars) {
  for (const auto& [name, service] : spec.services) {
    auto image = images.prepare(service.image);
    if (!image) {
      return make_error(image.error().code, "service '" + name + "': " + image.error().message);
    }
    docker::ContainerSpec container;
    container.name = fmt::format("cicd-run-{}-{}-{}", run.id, options.agent_id, name);
    container.image = *image;
    if (!service.command.empty()) {
      container.entrypoint = service.command;
    }
    container.cmd = service.args;
    for (const auto& [key, value] : service.env) {
      container.env.push_back(key + "=" + value);
    }
    container.labels = run_labels(run, options.agent_id);
    container.labels["cicd.service"] = name;
    container.pids_limit = options.pids_limit;
    container.network = network;
    container.aliases = {name};
    auto id = docker.create_container(container);
    if (!id) {
      return make_error(id.error().code, "service '" + name + "': " + id.error().message);
    }
    resources.add_container(*id);
    sidecars.push_back(Sidecar{name, *id});
    if (auto started = docker.start_container(*id); !started) {
      return make_error(started.error().code,
                        "service '" + name + "' did not start: " + started.error().message);
    }
    console.note("started service " + name);
  }
  for (const auto& sidecar : sidecars) {
    auto ready = wait_ready(docker, sidecar.name, sidecar.container_id,
                            spec.services.at(sidecar.name), network, options, cancel);
    if (!ready) {
      return ready.error();
    }
  }
  return {};
}

void store_sidecar_logs(docker::Client& docker, const std::vector<Sidecar>& sidecars,
                        store::Store& store, results::ResultStore& results, const model::Run& run,
                        const std::string& lease, const std::filesystem::path& work_dir,
                        const std::vector<std::string>& secret_values,
                        std::chrono::seconds store_patience) {
  for (const auto& sidecar : sidecars) {
    docker.kill_container(sidecar.container_id, "SIGKILL");
    auto file = LocalFile::create(work_dir / ("service-" + sidecar.name + ".log"));
    if (!file) {
      log::warn("run {}: the log of service {} is not kept: {}", run.id, sidecar.name,
                file.error().message);
      continue;
    }
    SecretMasker masker(secret_values);
    docker.follow_logs(sidecar.container_id, [&](docker::OutputStream, std::string_view bytes) {
      return file->write(masker.feed(bytes));
    });
    file->write(masker.finish());
    if (auto closed = file->close(); !closed) {
      log::warn("run {}: the log of service {} is not kept: {}", run.id, sidecar.name,
                closed.error().message);
      continue;
    }
    auto name = "services/" + sidecar.name + ".log";
    if (auto size = results.put_file(run.id, name, file->path(), "text/plain; charset=utf-8")) {
      retry_store_write(fmt::format("run {}: result '{}'", run.id, name), store_patience, [&] {
        return store.record_result(
            run.id, lease, {name, "text/plain; charset=utf-8", *size, std::nullopt}, now_unix_ms());
      });
    }
  }
}

} // namespace cicd::executor

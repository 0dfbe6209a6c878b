#include "cicd/executor/run_executor.hpp"

#include "image_preparer.hpp"
#include "run_steps.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/git/job_credentials.hpp"
#include "cicd/model/duration.hpp"
#include "cicd/model/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cicd::executor {
namespace fs = std::filesystem;
using model::RunStatus;

namespace {

// The consoleLimitMiB setting, read for each run; the default when unset or unreadable.
std::int64_t console_limit_bytes(store::Store& store) {
  auto limit_mib = model::k_default_console_limit_mib;
  if (auto stored = store.get_setting(model::k_console_limit_setting); stored && *stored) {
    limit_mib =
        std::clamp<std::int64_t>(std::atoll((*stored)->c_str()), 1, model::k_max_console_limit_mib);
  }
  return limit_mib * 1024 * 1024;
}

// A step failed for a reason a user can act on: the run is errored with it.
struct Errored {
  std::string reason;
  // Docker, the store or the git server unreachable, the agent's disk full.
  bool infrastructure = false;
};

template <class T>
T or_errored(Result<T> result, std::string_view context = {}) {
  if (!result) {
    throw Errored{context.empty() ? result.error().message
                                  : std::string(context) + ": " + result.error().message,
                  result.error().code == ErrorCode::unavailable ||
                      result.error().code == ErrorCode::bad_gateway};
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*result);
  }
}

// Removes the run's temp dir in every outcome.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

} // namespace

RunExecutor::RunExecutor(docker::Client& docker, store::Store& store, results::ResultStore& results,
                         const crypto::SecretBox& secret_box, ExecutorOptions options)
    : m_docker(docker), m_store(store), m_results(results), m_secret_box(secret_box),
      m_options(std::move(options)) {}

void RunExecutor::sweep_leftovers() {
  auto label = std::string(k_agent_label) + "=" + m_options.agent_id;
  if (auto containers = m_docker.containers_with_label(label)) {
    for (const auto& id : *containers) {
      m_docker.remove_container(id, true);
    }
    if (!containers->empty()) {
      log::info("removed {} container(s) left by an earlier run of this agent", containers->size());
    }
  }
  if (auto networks = m_docker.networks_with_label(label)) {
    for (const auto& id : *networks) {
      m_docker.remove_network(id);
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_options.work_dir, ec)) {
    if (entry.path().filename().string().starts_with("run-")) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

Outcome RunExecutor::execute(const model::Run& run, const std::string& lease, CancelSignal& cancel,
                             const model::ResourceClass& resource_class) {
  TempDir temp{m_options.work_dir / fmt::format("run-{}", run.id)};
  fs::create_directories(temp.path);
  // Masking needs the secret values before the first byte of output; they are loaded here,
  // decrypted, and never leave this function except as container environment.
  std::map<std::string, std::string> secrets;
  std::vector<std::string> secret_values;
  Outcome outcome;
  std::optional<std::string> secrets_error;
  // A run taken just as the database restarts waits for it (within the lease) rather than
  // ending errored without having run.
  auto patience = m_options.lease_length / 2; // the lease is not renewed yet
  if (auto sealed = retry_store(fmt::format("run {}: reading the secrets", run.id), patience,
                                [&] { return m_store.sealed_secrets(run.job); })) {
    for (const auto& [name, value] : *sealed) {
      auto opened = m_secret_box.open(value, run.job + "/" + name);
      if (!opened) {
        secrets_error = "secret " + name + ": " + opened.error().message;
        break;
      }
      secret_values.push_back(*opened);
      secrets.emplace(name, std::move(*opened));
    }
  } else {
    secrets_error = sealed.error().message;
  }
  ConsoleWriter console(m_store, run.id, lease, temp.path / "console.log",
                        SecretMasker(secret_values), console_limit_bytes(m_store));
  RunResources resources(m_docker);
  std::vector<Sidecar> sidecars;
  std::string job_container;
  std::atomic<bool> container_done{false};
  // Renewal goes on until everything is stored; the watcher is woken when it may stop.
  bool heartbeat_done = false;
  std::mutex heartbeat_mutex;
  std::condition_variable heartbeat_wake;
  // Shared with the heartbeat thread, so declared where they outlive it.
  std::mutex container_mutex;
  auto deadline = std::chrono::steady_clock::time_point::max();
  std::string timeout_text;
  std::thread watcher;
  bool lease_lost = false;

  try {
    if (secrets_error) {
      throw Errored{*secrets_error};
    }
    auto stored = or_errored(retry_store(fmt::format("run {}: reading the job", run.id), patience,
                                         [&] { return m_store.get_job(run.job); }));
    auto definition = or_errored(model::parse_job_definition(stored.definition_json));
    // A git run executes the config file the master read at the run's commit.
    const auto* git_source = std::get_if<model::GitSource>(&definition.source);
    model::RunSpec spec;
    if (git_source == nullptr) {
      spec = std::get<model::RunSpec>(definition.source);
    } else if (run.config_json.empty() || run.commit_sha.empty()) {
      throw Errored{"the run has no commit and config file recorded (a master older than git "
                    "jobs queued it): trigger it again"};
    } else {
      spec = or_errored(model::parse_run_spec_json(run.config_json), "the run's config file");
    }
    std::vector<std::string> missing;
    for (const auto& name : spec.secrets) {
      if (!secrets.contains(name)) {
        missing.push_back(name);
      }
    }
    if (!missing.empty()) {
      std::string names;
      for (const auto& name : missing) {
        names += (names.empty() ? "" : ", ") + name;
      }
      throw Errored{fmt::format("missing secret(s) {}: set each with PUT /jobs/{}/secrets/NAME",
                                names, run.job)};
    }
    // The umbrella timeout is a global setting (PUT /settings), read for each run.
    auto timeout = m_options.umbrella_timeout;
    timeout_text = fmt::format("{}s (the umbrella timeout)", timeout.count());
    if (auto umbrella = m_store.get_setting("umbrella_timeout"); umbrella && *umbrella) {
      if (auto parsed = model::parse_duration(**umbrella, "umbrellaTimeout")) {
        timeout = *parsed;
        timeout_text = **umbrella + " (the umbrella timeout)";
      }
    }
    if (!spec.timeout.empty()) {
      auto own = or_errored(model::parse_duration(spec.timeout, "timeout"));
      if (own <= timeout) {
        timeout = own;
        timeout_text = spec.timeout;
      }
    }
    deadline = std::chrono::steady_clock::now() + timeout;

    // The heartbeat: renews the lease, notices abort requests and the timeout, flushes the
    // console, and once the signal fired, stops the job container (SIGTERM, grace, SIGKILL).
    watcher = std::thread([&] {
      std::optional<std::chrono::steady_clock::time_point> term_sent;
      auto next_renewal = std::chrono::steady_clock::now();
      for (;;) {
        {
          // The pace of the checks and of the kill sequence. An abort is noticed by the lease
          // renewal below and an agent shutdown within one pace.
          std::unique_lock lock(heartbeat_mutex);
          if (heartbeat_wake.wait_for(lock, std::chrono::milliseconds(200),
                                      [&] { return heartbeat_done; })) {
            break;
          }
        }
        if (std::chrono::steady_clock::now() >= next_renewal || cancel.take_poke()) {
          next_renewal = std::chrono::steady_clock::now() + m_options.heartbeat;
          auto renewed = m_store.renew_lease(run.id, lease,
                                             now_unix_ms() + m_options.lease_length.count() * 1000);
          if (renewed && renewed->abort_requested) {
            cancel.fire({RunStatus::aborted, renewed->abort_reason});
          } else if (!renewed && renewed.error().code == ErrorCode::conflict) {
            cancel.fire({RunStatus::errored, "the agent lost its lease on the run"});
          }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
          cancel.fire({RunStatus::timed_out, "timed out after " + timeout_text});
        }
        console.flush_if_due();
        if (auto full = console.file_error()) {
          cancel.fire({RunStatus::errored, full->message}); // the console cannot be kept
        }
        if (!cancel.reason()) {
          continue;
        }
        std::lock_guard lock(container_mutex);
        if (job_container.empty() || container_done) {
          continue;
        }
        if (!term_sent) {
          m_docker.kill_container(job_container, "SIGTERM");
          term_sent = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - *term_sent >= m_options.grace) {
          m_docker.kill_container(job_container, "SIGKILL");
        }
      }
    });

    std::optional<git::RunCheckout> checkout;
    if (git_source != nullptr) {
      auto credentials =
          or_errored(git::job_credentials(m_store, m_secret_box, run.job, *git_source));
      console.note(fmt::format("fetching commit {} from {}", run.commit_sha, git_source->repo_url));
      checkout = or_errored(git::RunCheckout::fetch(temp.path / "repo", git_source->repo_url,
                                                    run.commit_sha, run.trigger.branch_name,
                                                    credentials, [&] { return !cancel.reason(); }),
                            "fetching the run's commit");
    }
    ImagePreparer images(m_docker, m_options, console, cancel, checkout ? &*checkout : nullptr,
                         temp.path, run.job, run.commit_sha);
    auto image = or_errored(images.prepare(spec.image));
    auto labels = run_labels(run, m_options.agent_id);
    // The agent id keeps two agents on one engine (each with its own database) apart.
    auto network = fmt::format("cicd-run-{}-{}", run.id, m_options.agent_id);
    resources.set_network(
        or_errored(m_docker.create_network(network, labels), "creating the run's network"));
    or_errored(start_sidecars(m_docker, run, spec, network, m_options, images, resources, console,
                              cancel, sidecars));
    if (cancel.reason()) {
      throw Errored{cancel.reason()->reason};
    }
    docker::ContainerSpec container;
    container.name = fmt::format("cicd-run-{}-{}-job", run.id, m_options.agent_id);
    container.image = image;
    container.entrypoint = std::vector<std::string>{"/bin/sh", "-e", "-c"};
    container.cmd = {spec.script};
    container.env = job_environment(run, spec, secrets);
    container.working_dir = spec.workdir;
    container.user = spec.user;
    container.labels = labels;
    container.pids_limit = m_options.pids_limit;
    container.memory_bytes = resource_class.memory_bytes();
    container.nano_cpus = resource_class.nano_cpus();
    // The built-in default is documented and is most runs' class: its consoles stay exactly
    // the job's output. Any class an admin defined or changed is noted.
    if (resource_class != model::default_resource_class()) {
      console.note("resource class " + resource_class.name + ": " +
                   model::describe_limits(resource_class));
    }
    container.network = network;
    container.init = true;
    container.docker_logs = false; // the console is read by attach and stored by cicd
    auto id = or_errored(m_docker.create_container(container), "creating the job container");
    resources.add_container(id);
    {
      std::lock_guard lock(container_mutex);
      job_container = id;
    }
    if (checkout) {
      or_errored(upload_workspace(m_docker, id, *checkout, spec.workdir, temp.path));
    }
    auto attachment = or_errored(m_docker.attach_output(id), "attaching to the job's output");
    or_errored(m_docker.start_container(id), "starting the job container");
    auto followed = attachment.read([&](docker::OutputStream, std::string_view bytes) {
      console.write(bytes);
      return true;
    });
    auto exit_code =
        or_errored(m_docker.wait_container(id, std::chrono::seconds(60)),
                   followed ? "waiting for the job container"
                            : "reading the job's output (" + followed.error().message + ")");
    if (!followed) {
      console.note("the output may be incomplete: " + followed.error().message);
    }
    auto state = m_docker.inspect_container(id);
    container_done = true;
    outcome.exit_code = exit_code;
    if (auto reason = cancel.reason()) {
      outcome.status = reason->status;
      outcome.reason = reason->reason;
    } else if (exit_code == 0) {
      outcome.status = RunStatus::succeeded;
    } else {
      outcome.status = RunStatus::failed;
      if (state && state->oom_killed) {
        outcome.reason = "the job ran out of memory and was killed";
      }
    }
    if (auto collected = collect_results(m_docker, id, spec, m_store, m_results, run, lease,
                                         temp.path, console, m_options.lease_length);
        !collected) {
      throw Errored{collected.error().message, collected.error().code == ErrorCode::unavailable};
    }
  } catch (const Errored& e) {
    outcome = Outcome{RunStatus::errored, outcome.exit_code, e.reason, e.infrastructure};
    if (auto reason = cancel.reason(); reason && reason->status != RunStatus::errored) {
      outcome.status = reason->status; // aborted or timed out before the job container ran
      outcome.reason = reason->reason;
      outcome.infrastructure_error = false;
    }
  } catch (const std::exception& e) {
    outcome = Outcome{RunStatus::errored, outcome.exit_code,
                      std::string("the agent failed while running it: ") + e.what(), true};
  }
  container_done = true;
  if (outcome.status == RunStatus::errored && !outcome.reason.empty()) {
    console.note(outcome.reason);
  }
  store_sidecar_logs(m_docker, sidecars, m_store, m_results, run, lease, temp.path, secret_values,
                     m_options.lease_length);
  console.close();
  lease_lost = console.lease_lost();
  if (auto full = console.file_error()) {
    if (outcome.status == RunStatus::succeeded || outcome.status == RunStatus::failed) {
      outcome = Outcome{RunStatus::errored, outcome.exit_code, full->message, true};
    }
    // Also when the heartbeat stopped the job for it: the agent's disk, not the job.
    outcome.infrastructure_error = outcome.status == RunStatus::errored;
  }

  bool console_stored = false;
  if (auto size =
          m_results.put_file(run.id, "console", console.file(), "text/plain; charset=utf-8")) {
    console_stored = static_cast<bool>(
        retry_store_write(fmt::format("run {}: the console", run.id), m_options.lease_length, [&] {
          return m_store.record_result(
              run.id, lease, {"console", "text/plain; charset=utf-8", *size, std::nullopt},
              now_unix_ms());
        }));
  } else if (outcome.status == RunStatus::succeeded) {
    outcome =
        Outcome{RunStatus::errored, outcome.exit_code,
                "result upload failed: the console could not be stored: " + size.error().message};
  }
  // The lease is renewed until the final status is written, however long the store is away.
  auto finished = retry_store_write(
      fmt::format("run {}: final status {}", run.id, model::to_string(outcome.status)),
      m_options.lease_length, [&] {
        return m_store.finish_run(run.id, lease, outcome.status, outcome.exit_code, outcome.reason,
                                  console_stored, now_unix_ms());
      });
  {
    std::lock_guard lock(heartbeat_mutex);
    heartbeat_done = true;
  }
  heartbeat_wake.notify_one();
  if (watcher.joinable()) {
    watcher.join();
  }
  if (!finished) {
    outcome.recorded = false;
    lease_lost = lease_lost || finished.error().code == ErrorCode::conflict;
    log::warn("run {}: final status {} not written: {}", run.id, model::to_string(outcome.status),
              finished.error().message);
  }
  if (lease_lost) {
    outcome.reason = outcome.reason.empty() ? "lease lost" : "lease lost: " + outcome.reason;
  }
  // The user sees the final status without waiting for Docker to tear down; the run's slot
  // stays taken until it has (and what a crash leaves here, the next start sweeps).
  resources.cleanup();
  return outcome;
}

} // namespace cicd::executor

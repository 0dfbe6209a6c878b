#include "hook_runs.hpp"

#include "git_revision.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/model/job.hpp"
#include "cicd/model/resource_class.hpp"

#include <set>

namespace cicd::master {
namespace {

struct Skipped {
  std::string job;
  std::string reason;
};

const model::ForgeTrigger* trigger_for(const model::JobDefinition& definition,
                                       std::string_view forge) {
  const auto& trigger = forge == "github" ? definition.triggers.github : definition.triggers.gitlab;
  return trigger ? &*trigger : nullptr;
}

// The run a job would start for the event; throws ErrorException with why it cannot.
store::NewRun new_run(const ApiDependencies& deps, const std::string& job,
                      const model::JobDefinition& definition, const model::HookTrigger& hook) {
  store::NewRun run;
  run.job = job;
  run.trigger.kind = hook.forge;
  run.trigger.commit_sha = hook.head_sha;
  run.trigger.by = "hook:" + hook.forge + "/" + hook.connection;
  run.trigger.hook = hook;
  run.parameters_json = value_or_throw(model::resolve_parameters(definition.parameters, nullptr));
  if (const auto* git = std::get_if<model::GitSource>(&definition.source)) {
    auto revision = resolve_git_revision(deps, job, *git, run.trigger);
    run.commit_sha = std::move(revision.commit_sha);
    run.config_json = model::to_json(revision.spec);
    run.resource_class = revision.spec.resource_class;
  } else {
    run.resource_class = std::get<model::RunSpec>(definition.source).resource_class;
  }
  if (run.resource_class != model::k_default_resource_class &&
      !value_or_throw(
          deps.store.get_setting(model::resource_class_setting_key(run.resource_class)))) {
    throw ErrorException(make_error(ErrorCode::unprocessable,
                                    "resource class '" + run.resource_class + "' is not defined"));
  }
  return run;
}

std::string response_body(const std::vector<model::Run>& runs, const std::vector<Skipped>& skipped,
                          bool replayed, const std::string& ignored) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  if (!ignored.empty()) {
    writer.Key("ignored");
    model::write_string(writer, ignored);
  }
  writer.Key("runs");
  writer.StartArray();
  for (const auto& run : runs) {
    writer.StartObject();
    writer.Key("job");
    model::write_string(writer, run.job);
    writer.Key("id");
    writer.Int64(run.id);
    writer.Key("status");
    model::write_string(writer, model::to_string(run.status));
    writer.Key("href");
    model::write_string(writer, "/jobs/" + run.job + "/runs/" + std::to_string(run.id));
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("skipped");
  writer.StartArray();
  for (const auto& skip : skipped) {
    writer.StartObject();
    writer.Key("job");
    model::write_string(writer, skip.job);
    writer.Key("reason");
    model::write_string(writer, skip.reason);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("replayed");
  writer.Bool(replayed);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

} // namespace

http::Response start_hook_runs(const ApiDependencies& deps, std::string_view forge,
                               const std::string& connection, const std::string& delivery,
                               const hooks::ForgeEvent& event) {
  model::HookTrigger hook{std::string(forge), connection,     event.repository,  event.name,
                          delivery,           event.number,   event.head_branch, event.base_branch,
                          event.sender,       event.head_sha, event.project_id};
  std::vector<store::NewRun> runs;
  std::vector<Skipped> skipped;
  std::set<std::string> reasons;
  bool watched_repository = false;
  // TODO: an index of subscriptions once there are thousands of jobs; a pass over the job
  // definitions costs well under GitHub's 10 s until then.
  constexpr int k_page = 200;
  std::string after;
  for (;;) {
    auto jobs = value_or_throw(deps.store.list_jobs(after, k_page));
    for (const auto& job : jobs) {
      auto definition = model::parse_job_definition(job.definition_json);
      const auto* trigger = definition ? trigger_for(*definition, forge) : nullptr;
      if (trigger == nullptr || trigger->connection != connection) {
        continue;
      }
      auto reason = hooks::unwatched_reason(*trigger, event);
      if (!reason.starts_with("repository ")) {
        watched_repository = true;
      }
      if (!reason.empty()) {
        reasons.insert(reason);
        continue;
      }
      if (event.from_fork && !trigger->allow_forks) {
        skipped.push_back({job.name, "the pull request comes from a fork and the job does not "
                                     "set allowForks"});
        continue;
      }
      try {
        runs.push_back(new_run(deps, job.name, *definition, hook));
      } catch (const ErrorException& e) {
        if (e.error().code == ErrorCode::unavailable || e.error().code == ErrorCode::internal) {
          throw;
        }
        skipped.push_back({job.name, e.error().message});
      }
    }
    if (static_cast<int>(jobs.size()) < k_page) {
      break;
    }
    after = jobs.back().name;
  }
  if (runs.empty()) {
    std::string ignored;
    if (!skipped.empty()) {
      ignored = "no job can run for it (see skipped)";
    } else if (!watched_repository) {
      ignored = fmt::format("no job watches repository '{}' through {} connection '{}'",
                            event.repository, forge, connection);
    } else {
      for (const auto& reason : reasons) {
        ignored += (ignored.empty() ? "" : "; ") + reason;
      }
    }
    return http::json_response(http::Status::ok, response_body({}, skipped, false, ignored));
  }
  auto started = value_or_throw(deps.store.create_hook_runs(
      store::HookDelivery{std::string(forge), connection, delivery}, runs, now_unix_ms()));
  if (!started.replayed) {
    for (const auto& run : started.runs) {
      auto published = deps.queue.publish(queue::RunMessage{run.id, run.job, run.resource_class});
      if (!published) {
        log::warn("run {} stays queued until the sweeper republishes it: {}", run.id,
                  published.error().message);
      }
    }
    log::info("{} hook {} ({} {}): started {} runs", forge, delivery, event.name, event.repository,
              started.runs.size());
  }
  return http::json_response(started.replayed ? http::Status::ok : http::Status::accepted,
                             response_body(started.runs, skipped, started.replayed, {}));
}

} // namespace cicd::master

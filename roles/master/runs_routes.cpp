// POST/GET /jobs/{job}/runs, GET /jobs/{job}/runs/{id}, …/abort and …/rerun.
#include "api.hpp"
#include "git_revision.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/crypto/digest.hpp"
#include "cicd/model/job.hpp"
#include "cicd/model/names.hpp"
#include "cicd/model/resource_class.hpp"

#include <boost/beast/http/field.hpp>

namespace cicd::master {
namespace {
using auth::Scope;
using boost::beast::http::field;

std::string idempotency_key(const http::Request& request) {
  auto it = request.find("Idempotency-Key");
  if (it == request.end()) {
    return {};
  }
  std::string key(it->value());
  bool printable = std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (key.empty() || key.size() > 255 || !printable) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "Idempotency-Key must be 1 to 255 printable characters "
                                    "without spaces (a UUID is a good choice)",
                                    "Idempotency-Key"));
  }
  return key;
}

// Records the run and wakes an agent. A failed publish is logged and leaves the run queued for
// the sweeper: the run was accepted the moment it was committed.
http::Response start_run(const ApiDependencies& deps, store::NewRun run,
                         const http::Request& request) {
  auto created = value_or_throw(deps.store.create_run(run, now_unix_ms()));
  if (!created.replayed) {
    auto published =
        deps.queue.publish(queue::RunMessage{created.run.id, created.run.job, run.resource_class});
    if (!published) {
      log::warn("run {} stays queued until the sweeper republishes it: {}", created.run.id,
                published.error().message);
    }
  }
  auto response = run_response(http::Status::created, created.run, request);
  response.set(field::location,
               "/jobs/" + created.run.job + "/runs/" + std::to_string(created.run.id));
  if (created.replayed) {
    response.set("Idempotent-Replayed", "true");
  }
  return response;
}

// The job's definition and the resource class its runs are queued for.
model::JobDefinition load_definition(const ApiDependencies& deps, const std::string& job) {
  auto stored = value_or_throw(deps.store.get_job(job));
  return value_or_throw(model::parse_job_definition(stored.definition_json));
}

// A git run records the commit and the config file it runs with; its resource class is the
// config file's. A freestyle run's class is its job's.
void pin_revision(const ApiDependencies& deps, const model::JobDefinition& definition,
                  store::NewRun& run) {
  if (const auto* git = std::get_if<model::GitSource>(&definition.source)) {
    auto revision = resolve_git_revision(deps, run.job, *git, run.trigger);
    run.commit_sha = std::move(revision.commit_sha);
    run.config_json = model::to_json(revision.spec);
    run.resource_class = revision.spec.resource_class;
  } else {
    run.resource_class = std::get<model::RunSpec>(definition.source).resource_class;
  }
}

// No agent takes a run of an undefined class, so it would wait forever: refused instead.
// "default" always exists, which keeps the common trigger free of this read.
void check_resource_class_defined(const ApiDependencies& deps, const std::string& name) {
  if (name == model::k_default_resource_class ||
      value_or_throw(deps.store.get_setting(model::resource_class_setting_key(name)))) {
    return;
  }
  throw ErrorException(make_error(ErrorCode::unprocessable,
                                  fmt::format("resource class '{}' is not defined: PUT "
                                              "/settings/resource-classes/{} first",
                                              name, name),
                                  "resourceClass"));
}

http::Response trigger_run(const ApiDependencies& deps, const http::Request& request,
                           const http::RouteMatch& match) {
  auto job = job_name(match);
  std::string_view body = request.body();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    body = "{}";
  }
  auto document = value_or_throw(model::parse_json_object(body));
  store::NewRun run;
  run.job = job;
  run.trigger.by = match.principal;
  model::reject_unknown_members(document, {"commitSha", "branchName", "parameters"}, "");
  auto* sha = model::find_member(document, "commitSha");
  auto* branch = model::find_member(document, "branchName");
  if ((sha == nullptr) == (branch == nullptr)) {
    model::throw_field_error(sha == nullptr ? "commitSha" : "branchName",
                             sha == nullptr ? "or 'branchName' is required: give exactly one"
                                            : "and 'branchName' were both given: give exactly "
                                              "one");
  }
  if (sha != nullptr) {
    run.trigger.commit_sha = model::read_string(*sha, "commitSha");
    if (!model::is_commit_sha(run.trigger.commit_sha)) {
      model::throw_field_error("commitSha", "must be a full commit id: 40 hexadecimal digits");
    }
    std::transform(run.trigger.commit_sha.begin(), run.trigger.commit_sha.end(),
                   run.trigger.commit_sha.begin(), [](char c) { return std::tolower(c); });
  } else {
    run.trigger.branch_name = model::read_string(*branch, "branchName");
    value_or_throw(model::check_branch_name(run.trigger.branch_name));
  }
  auto definition = load_definition(deps, job);
  run.parameters_json = value_or_throw(
      model::resolve_parameters(definition.parameters, model::find_member(document, "parameters")));
  run.idempotency_key = idempotency_key(request);
  run.request_fingerprint = crypto::sha256_hex(body);
  pin_revision(deps, definition, run);
  check_resource_class_defined(deps, run.resource_class);
  return start_run(deps, std::move(run), request);
}

http::Response rerun(const ApiDependencies& deps, const http::Request& request,
                     const http::RouteMatch& match) {
  auto job = job_name(match);
  auto previous = value_or_throw(deps.store.get_run(job, run_id(match)));
  auto definition = load_definition(deps, job);
  rapidjson::Document parameters;
  parameters.Parse(previous.parameters_json.data(), previous.parameters_json.size());
  auto resolved = model::resolve_parameters(definition.parameters, &parameters);
  if (!resolved) {
    throw ErrorException(
        make_error(ErrorCode::conflict,
                   "the job's parameters changed since run " + std::to_string(previous.id) +
                       " and its values no longer fit: " + resolved.error().message +
                       "; trigger a new run with parameters instead",
                   resolved.error().field));
  }
  store::NewRun run;
  run.job = job;
  run.trigger = previous.trigger;
  run.trigger.kind = "rerun";
  run.trigger.hook.reset(); // TODO: report a rerun of a hook-triggered run to its pull request
  run.trigger.by = match.principal;
  run.trigger.rerun_of = previous.id;
  run.parameters_json = *resolved;
  if (!previous.config_json.empty() && definition.type() == model::JobType::git) {
    // The same commit and config file as the run it repeats.
    run.commit_sha = previous.commit_sha;
    run.config_json = previous.config_json;
    run.resource_class = previous.resource_class;
  } else {
    pin_revision(deps, definition, run);
  }
  check_resource_class_defined(deps, run.resource_class);
  run.idempotency_key = idempotency_key(request);
  run.request_fingerprint = crypto::sha256_hex("rerun:" + std::to_string(previous.id));
  return start_run(deps, std::move(run), request);
}

http::Response get_run(const ApiDependencies& deps, const http::Request& request,
                       const http::RouteMatch& match) {
  auto run = value_or_throw(deps.store.get_run(job_name(match), run_id(match)));
  return run_response(http::Status::ok, run, request);
}

http::Response list_runs(const ApiDependencies& deps, const http::Request&,
                         const http::RouteMatch& match) {
  auto job = job_name(match);
  store::RunQuery query;
  auto limit = page_limit(match.target);
  query.limit = static_cast<int>(limit) + 1;
  query.before_id = integer_param(match.target, "after", 1, INT64_MAX);
  auto status_text = match.target.param("status");
  if (!status_text.empty()) {
    query.status = model::parse_run_status(status_text);
    if (!query.status) {
      throw ErrorException(make_error(ErrorCode::invalid_input,
                                      "'status' must be one of queued, running, succeeded, "
                                      "failed, errored, timed_out, aborted",
                                      "status"));
    }
  }
  auto runs = value_or_throw(deps.store.list_runs(job, query));
  bool more = runs.size() > static_cast<std::size_t>(limit);
  if (more) {
    runs.pop_back();
  }
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    body += (i == 0 ? "" : ",") + model::to_json(runs[i]);
  }
  body += "],\"next\":";
  if (more) {
    body += fmt::format("\"/jobs/{}/runs?limit={}&after={}{}\"", job, limit, runs.back().id,
                        query.status ? "&status=" + std::string(status_text) : "");
  } else {
    body += "null";
  }
  body += "}";
  auto response = http::json_response(http::Status::ok, std::move(body));
  response.set(field::cache_control, "no-store");
  return response;
}

http::Response abort_run(const ApiDependencies& deps, const http::Request& request,
                         const http::RouteMatch& match) {
  auto run = value_or_throw(
      deps.store.abort_run(job_name(match), run_id(match), match.principal, now_unix_ms()));
  // A queued run is aborted now; a running one once its agent has stopped it. The agents hear
  // of it at once by broadcast, or on their next heartbeat if the broadcast is lost.
  if (run.status == model::RunStatus::running) {
    if (auto sent =
            deps.queue.broadcast({queue::ControlMessage::Kind::abort_run, run.id, std::string()});
        !sent) {
      log::warn("run {}: the abort broadcast failed ({}); its agent sees the abort on its next "
                "heartbeat",
                run.id, sent.error().message);
    }
  }
  return run_response(model::is_terminal(run.status) ? http::Status::ok : http::Status::accepted,
                      run, request);
}

} // namespace

void add_run_routes(http::Router& router, const ApiDependencies& deps) {
  auto trigger = static_cast<int>(Scope::trigger);
  auto read = static_cast<int>(Scope::read);
  router.add({http::Verb::post, "/jobs/{job}/runs", trigger, with_deps(deps, trigger_run)});
  router.add({http::Verb::get, "/jobs/{job}/runs", read, with_deps(deps, list_runs)});
  router.add({http::Verb::get, "/jobs/{job}/runs/{id}", read, with_deps(deps, get_run)});
  router.add(
      {http::Verb::post, "/jobs/{job}/runs/{id}/abort", trigger, with_deps(deps, abort_run)});
  router.add({http::Verb::post, "/jobs/{job}/runs/{id}/rerun", trigger, with_deps(deps, rerun)});
}

} // namespace cicd::master

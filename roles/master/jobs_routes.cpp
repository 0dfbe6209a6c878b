// PUT/GET/DELETE /jobs/{job} and GET /jobs; PUT /jobs/{job}?dryRun=true checks and normalises
// a definition without storing it.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/crypto/digest.hpp"
#include "cicd/model/job.hpp"
#include "cicd/model/names.hpp"
#include "cicd/model/run.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

namespace cicd::master {
namespace {
using auth::Scope;
using boost::beast::http::field;

// "name", <the canonical definition's members>, "etag", "createdAt", "updatedAt", "href"
void write_job_members(model::JsonWriter& writer, const store::StoredJob& job) {
  rapidjson::Document definition;
  definition.Parse(job.definition_json.data(), job.definition_json.size());
  writer.Key("name");
  model::write_string(writer, job.name);
  for (const auto& member : definition.GetObject()) {
    writer.Key(member.name.GetString(), member.name.GetStringLength());
    member.value.Accept(writer);
  }
  writer.Key("etag");
  model::write_string(writer, job.etag);
  writer.Key("createdAt");
  model::write_string(writer, model::format_timestamp(job.created_at_ms));
  writer.Key("updatedAt");
  model::write_string(writer, model::format_timestamp(job.updated_at_ms));
  writer.Key("href");
  model::write_string(writer, "/jobs/" + job.name);
}

// A job in the list: its members and "lastRun", the run document of its newest run or null.
void write_job_item(model::JsonWriter& writer, const store::StoredJob& job,
                    const model::Run* last_run) {
  writer.StartObject();
  write_job_members(writer, job);
  writer.Key("lastRun");
  if (last_run != nullptr) {
    auto run = model::to_json(*last_run);
    writer.RawValue(run.data(), run.size(), rapidjson::kObjectType);
  } else {
    writer.Null();
  }
  writer.EndObject();
}

http::Response job_response(http::Status status, const store::StoredJob& job) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  write_job_members(writer, job);
  writer.EndObject();
  auto response = http::json_response(status, std::string(buffer.GetString(), buffer.GetSize()));
  response.set(field::etag, quote_etag(job.etag));
  response.set(field::cache_control, "no-cache");
  return response;
}

// {"name": …, <the canonical definition's members>, "etag", "href"}: a job as PUT would store it.
http::Response dry_run_response(const store::PutJobRequest& put) {
  rapidjson::Document definition;
  definition.Parse(put.definition_json.data(), put.definition_json.size());
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("name");
  model::write_string(writer, put.name);
  for (const auto& member : definition.GetObject()) {
    writer.Key(member.name.GetString(), member.name.GetStringLength());
    member.value.Accept(writer);
  }
  writer.Key("etag");
  model::write_string(writer, put.etag);
  writer.Key("href");
  model::write_string(writer, "/jobs/" + put.name);
  writer.EndObject();
  auto response =
      http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
  response.set(field::cache_control, "no-store");
  return response;
}

http::Response put_job(const ApiDependencies& deps, const http::Request& request,
                       const http::RouteMatch& match) {
  auto name = job_name(match);
  auto dry_run_text = match.target.param("dryRun");
  if (!dry_run_text.empty() && dry_run_text != "true" && dry_run_text != "false") {
    throw ErrorException(
        make_error(ErrorCode::invalid_input, "'dryRun' must be true or false", "dryRun"));
  }
  bool dry_run = dry_run_text == "true";
  auto definition = value_or_throw(model::parse_job_definition(request.body()));
  auto document = value_or_throw(model::parse_json_object(request.body()));
  if (auto* given = model::find_member(document, "name");
      given != nullptr && (!given->IsString() || given->GetString() != name)) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "'name' in the body differs from the job name in the path",
                                    "name"));
  }
  store::PutJobRequest put;
  put.name = name;
  put.definition_json = model::to_canonical_json(definition);
  put.etag = crypto::sha256_hex(put.definition_json).substr(0, 32);
  if (dry_run) {
    // What a client diffs against the stored job (`cicd ctl apply`): the document as the PUT
    // would store it, normalised and with its ETag, read from nothing and written nowhere.
    return dry_run_response(put);
  }
  put.if_match = etag_header(request, field::if_match);
  put.if_none_match_any = etag_header(request, field::if_none_match) == "*";
  auto outcome = value_or_throw(deps.store.put_job(put, now_unix_ms()));
  auto job = value_or_throw(deps.store.get_job(name));
  bool created = outcome == store::PutOutcome::created;
  auto response = job_response(created ? http::Status::created : http::Status::ok, job);
  if (created) {
    response.set(field::location, "/jobs/" + name);
  }
  return response;
}

http::Response get_job(const ApiDependencies& deps, const http::Request& request,
                       const http::RouteMatch& match) {
  auto job = value_or_throw(deps.store.get_job(job_name(match)));
  if (etag_header(request, field::if_none_match) == job.etag) {
    // RFC 9110 §15.4.5: a 304 carries the Cache-Control the 200 would have.
    http::Response response(http::Status::not_modified, 11);
    response.set(field::etag, quote_etag(job.etag));
    response.set(field::cache_control, "no-cache");
    return response;
  }
  return job_response(http::Status::ok, job);
}

http::Response delete_job(const ApiDependencies& deps, const http::Request& request,
                          const http::RouteMatch& match) {
  value_or_throw(deps.store.delete_job(job_name(match), etag_header(request, field::if_match)));
  return http::Response(http::Status::no_content, 11);
}

http::Response list_jobs(const ApiDependencies& deps, const http::Request&,
                         const http::RouteMatch& match) {
  auto limit = page_limit(match.target);
  std::string after(match.target.param("after"));
  if (match.target.query.contains("after")) {
    value_or_throw(model::check_job_name(after, "after")); // cursors are job names
  }
  auto jobs = value_or_throw(deps.store.list_jobs(after, static_cast<int>(limit) + 1));
  bool more = jobs.size() > static_cast<std::size_t>(limit);
  if (more) {
    jobs.pop_back();
  }
  std::vector<model::Run> last_runs;
  if (!jobs.empty()) {
    last_runs = value_or_throw(deps.store.last_runs(jobs.front().name, jobs.back().name));
  }
  // Both are ordered by job name: one pass pairs each job with its last run.
  auto last = last_runs.begin();
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("items");
  writer.StartArray();
  for (const auto& job : jobs) {
    const model::Run* last_run = nullptr;
    if (last != last_runs.end() && last->job == job.name) {
      last_run = &*last++;
    }
    write_job_item(writer, job, last_run);
  }
  writer.EndArray();
  writer.Key("next");
  if (more) {
    model::write_string(writer, fmt::format("/jobs?limit={}&after={}", limit, jobs.back().name));
  } else {
    writer.Null();
  }
  writer.EndObject();
  return http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
}

} // namespace

void add_job_routes(http::Router& router, const ApiDependencies& deps) {
  router.add({http::Verb::get, "/jobs", static_cast<int>(Scope::read), with_deps(deps, list_jobs)});
  router.add(
      {http::Verb::put, "/jobs/{job}", static_cast<int>(Scope::admin), with_deps(deps, put_job)});
  router.add(
      {http::Verb::get, "/jobs/{job}", static_cast<int>(Scope::read), with_deps(deps, get_job)});
  router.add({http::Verb::delete_, "/jobs/{job}", static_cast<int>(Scope::admin),
              with_deps(deps, delete_job)});
}

} // namespace cicd::master

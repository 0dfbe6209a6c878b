// GET /jobs/{job}/runs/{id}/results, …/results/{name} and …/results/services/{name} (the
// console has console_routes.cpp). Downloads stream through from the result store, or with
// ?redirect=true go straight to it through a short-lived presigned URL (S3 only).
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/model/json.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

namespace cicd::master {
namespace {
using auth::Scope;
using boost::beast::http::field;

constexpr std::int64_t k_piece_bytes = 1024 * 1024;
constexpr auto k_presigned_lifetime = std::chrono::minutes(5);

// The run and its results; gone once the retention sweeper expired them.
std::vector<store::ResultInfo> results_of(const ApiDependencies& deps,
                                          const http::RouteMatch& match, model::Run& run) {
  run = value_or_throw(deps.store.get_run(job_name(match), run_id(match)));
  if (run.results_expired) {
    throw ErrorException(make_error(
        ErrorCode::gone, fmt::format("the results of run {} were deleted: they were older than "
                                     "the retention period (resultRetentionDays)",
                                     run.id)));
  }
  return value_or_throw(deps.store.list_results(run.id));
}

void write_junit_summary(model::JsonWriter& writer, const store::JunitSummary& junit) {
  writer.Key("summary");
  writer.StartObject();
  writer.Key("tests");
  writer.Int64(junit.tests);
  writer.Key("passed");
  writer.Int64(junit.tests - junit.failures - junit.errors - junit.skipped);
  writer.Key("failures");
  writer.Int64(junit.failures);
  writer.Key("errors");
  writer.Int64(junit.errors);
  writer.Key("skipped");
  writer.Int64(junit.skipped);
  writer.Key("time");
  writer.Double(static_cast<double>(junit.time_ms) / 1000);
  writer.EndObject();
}

http::Response list_results(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch& match) {
  auto run = value_or_throw(deps.store.get_run(job_name(match), run_id(match)));
  std::vector<store::ResultInfo> results;
  if (!run.results_expired) {
    results = value_or_throw(deps.store.list_results(run.id));
  }
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("resultsExpired");
  writer.Bool(run.results_expired);
  writer.Key("items");
  writer.StartArray();
  for (const auto& result : results) {
    writer.StartObject();
    writer.Key("name");
    model::write_string(writer, result.name);
    writer.Key("contentType");
    model::write_string(writer, result.content_type);
    writer.Key("size");
    writer.Int64(result.size);
    writer.Key("href");
    model::write_string(writer,
                        fmt::format("/jobs/{}/runs/{}/results/{}", run.job, run.id, result.name));
    if (result.junit) {
      write_junit_summary(writer, *result.junit);
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  auto response =
      http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
  response.set(field::cache_control, "no-store");
  return response;
}

// The file name a browser saves a result under: its last segment and the extension its
// content type implies.
std::string download_name(const store::ResultInfo& result) {
  auto name = result.name.substr(result.name.rfind('/') + 1);
  if (result.content_type == "application/zip" && !name.ends_with(".zip")) {
    name += ".zip";
  } else if (result.content_type == "application/gzip" && !name.ends_with(".tar.gz")) {
    name += ".tar.gz";
  } else if (result.content_type == "application/xml" && !name.ends_with(".xml")) {
    name += ".xml";
  }
  return name; // result names are [A-Za-z0-9._-]: nothing to quote
}

http::Reply stream_stored(const ApiDependencies& deps, std::int64_t run_id,
                          const store::ResultInfo& result) {
  http::Response head(http::Status::ok, 11);
  head.set(field::content_type, result.content_type);
  head.set(field::cache_control, "private, max-age=3600");
  head.set(field::content_disposition,
           fmt::format("attachment; filename=\"{}\"", download_name(result)));
  head.set("X-Content-Type-Options", "nosniff");
  auto offset = std::make_shared<std::int64_t>(0);
  auto& results = deps.results;
  return http::Reply(
      std::move(head),
      [&results, run_id, name = result.name, offset]() -> std::optional<std::string> {
        std::string piece;
        auto read = results.read(run_id, name, *offset, [&](std::string_view bytes) {
          piece.append(bytes);
          return static_cast<std::int64_t>(piece.size()) < k_piece_bytes;
        });
        if (!read) { // the client sees the body cut short, never a truncated "complete" file
          throw ErrorException(read.error());
        }
        if (piece.empty()) {
          return std::nullopt;
        }
        *offset += static_cast<std::int64_t>(piece.size());
        return piece;
      });
}

http::Reply get_result(const ApiDependencies& deps, const http::Request&,
                       const http::RouteMatch& match, const std::string& name) {
  auto redirect_text = match.target.param("redirect");
  if (!redirect_text.empty() && redirect_text != "true" && redirect_text != "false") {
    throw ErrorException(
        make_error(ErrorCode::invalid_input, "'redirect' must be true or false", "redirect"));
  }
  model::Run run;
  for (const auto& result : results_of(deps, match, run)) {
    if (result.name != name) {
      continue;
    }
    if (redirect_text == "true") {
      auto url =
          value_or_throw(deps.results.presigned_url(run.id, result.name, k_presigned_lifetime));
      http::Response response(http::Status::temporary_redirect, 11);
      response.set(field::location, url);
      response.set(field::cache_control, "no-store");
      return response;
    }
    return stream_stored(deps, run.id, result);
  }
  throw ErrorException(
      make_error(ErrorCode::not_found, fmt::format("run {} has no result named '{}' (GET …/results "
                                                   "lists them)",
                                                   run.id, name)));
}

} // namespace

void add_result_routes(http::Router& router, const ApiDependencies& deps) {
  auto read = static_cast<int>(Scope::read);
  router.add(
      {http::Verb::get, "/jobs/{job}/runs/{id}/results", read, with_deps(deps, list_results)});
  add_console_routes(router, deps);
  router.add({http::Verb::get, "/jobs/{job}/runs/{id}/results/{name}", read,
              with_deps(deps, [](const ApiDependencies& d, const http::Request& request,
                                 const http::RouteMatch& match) {
                return get_result(d, request, match, std::string(match.capture("name")));
              })});
  router.add({http::Verb::get, "/jobs/{job}/runs/{id}/results/services/{name}", read,
              with_deps(deps, [](const ApiDependencies& d, const http::Request& request,
                                 const http::RouteMatch& match) {
                return get_result(d, request, match,
                                  "services/" + std::string(match.capture("name")));
              })});
}

} // namespace cicd::master

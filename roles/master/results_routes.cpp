// GET /jobs/{job}/runs/{id}/results, …/results/console[?follow=true], …/results/{name} and
// …/results/services/{name}. Bodies are streamed: a console may be hundreds of megabytes.
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

std::vector<store::ResultInfo> results_of(const ApiDependencies& deps,
                                          const http::RouteMatch& match, model::Run& run) {
  run = value_or_throw(deps.store.get_run(job_name(match), run_id(match)));
  return value_or_throw(deps.store.list_results(run.id));
}

http::Response list_results(const ApiDependencies& deps, const http::Request&,
                            const http::RouteMatch& match) {
  model::Run run;
  auto results = results_of(deps, match, run);
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
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
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  auto response =
      http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize()));
  response.set(field::cache_control, "no-store");
  return response;
}

// The next piece of a stored object from `offset`, or empty at its end.
std::string read_piece(results::ResultStore& results, std::int64_t run_id, const std::string& name,
                       std::int64_t offset) {
  std::string piece;
  results.read(run_id, name, offset, [&](std::string_view bytes) {
    piece.append(bytes);
    return static_cast<std::int64_t>(piece.size()) < k_piece_bytes;
  });
  return piece;
}

http::Reply stream_stored(const ApiDependencies& deps, std::int64_t run_id, std::string name,
                          std::string content_type) {
  http::Response head(http::Status::ok, 11);
  head.set(field::content_type, content_type);
  head.set(field::cache_control, "private, max-age=3600");
  auto offset = std::make_shared<std::int64_t>(0);
  auto& results = deps.results;
  return http::Reply(std::move(head),
                     [&results, run_id, name, offset]() -> std::optional<std::string> {
                       auto piece = read_piece(results, run_id, name, *offset);
                       if (piece.empty()) {
                         return std::nullopt;
                       }
                       *offset += static_cast<std::int64_t>(piece.size());
                       return piece;
                     });
}

http::Reply get_console(const ApiDependencies& deps, const http::Request&,
                        const http::RouteMatch& match) {
  auto job = job_name(match);
  auto id = run_id(match);
  value_or_throw(deps.store.get_run(job, id));
  auto follow_text = match.target.param("follow");
  if (!follow_text.empty() && follow_text != "true" && follow_text != "false") {
    throw ErrorException(
        make_error(ErrorCode::invalid_input, "'follow' must be true or false", "follow"));
  }
  bool follow = follow_text == "true";
  http::Response head(http::Status::ok, 11);
  head.set(field::content_type, "text/plain; charset=utf-8");
  head.set(field::cache_control, "no-store");
  head.set("X-Content-Type-Options", "nosniff");
  // Live chunks come from the database while the run goes; once it has ended, the whole
  // console is in the result store and reading resumes there at the same offset.
  auto offset = std::make_shared<std::int64_t>(0);
  const auto* dependencies = &deps;
  return http::Reply(
      std::move(head), [dependencies, job, id, follow, offset]() -> std::optional<std::string> {
        auto& store = dependencies->store;
        auto chunks = store.read_console(id, *offset, 8);
        if (chunks && !chunks->empty()) {
          std::string out;
          for (const auto& chunk : *chunks) {
            auto skip = std::max<std::int64_t>(0, *offset - chunk.byte_offset);
            if (skip < static_cast<std::int64_t>(chunk.content.size())) {
              out.append(chunk.content, static_cast<std::size_t>(skip));
            }
          }
          *offset += static_cast<std::int64_t>(out.size());
          if (!out.empty()) {
            return out;
          }
        }
        auto run = store.get_run(job, id);
        if (!run) {
          return std::nullopt;
        }
        if (model::is_terminal(run->status)) {
          auto piece = read_piece(dependencies->results, id, "console", *offset);
          if (piece.empty()) {
            return std::nullopt;
          }
          *offset += static_cast<std::int64_t>(piece.size());
          return piece;
        }
        if (!follow) {
          return std::nullopt;
        }
        return std::string(); // nothing new yet: the server asks again a little later
      });
}

http::Reply get_result(const ApiDependencies& deps, const http::Request&,
                       const http::RouteMatch& match, const std::string& name) {
  model::Run run;
  for (const auto& result : results_of(deps, match, run)) {
    if (result.name == name) {
      return stream_stored(deps, run.id, name, result.content_type);
    }
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
  router.add({http::Verb::get, "/jobs/{job}/runs/{id}/results/console", read,
              with_deps(deps, get_console)});
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

// A run: GET /jobs/{job}/runs/{id} (status, commit, timings, agent, results, JUnit summary,
// the console so far), POST …/abort, GET …/results/{name} (downloads relayed from the API),
// GET …/console/events (the master's console event stream relayed for the live console).
#include "console_html.hpp"
#include "page_context.hpp"
#include "stream_relay.hpp"

#include "cicd/results/junit_summary.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

namespace cicd::ui {
namespace {
using boost::beast::http::field;

// The console shown in the page itself: its last bytes; all of it is a download away.
constexpr std::int64_t k_inline_console = 256 * 1024;

// The failing tests' names are read from JUnit results up to this size; larger ones are only
// counted (their zip has the names).
constexpr std::int64_t k_junit_read_limit = 16 * 1024 * 1024;

kainjow::mustache::list failing_test_list(const PageContext& context, const std::string& path,
                                          bool zipped) {
  kainjow::mustache::list names;
  auto stored = context.api("GET", path);
  if (stored.status != 200) {
    return names;
  }
  auto failing = results::junit_failing_tests(stored.body, zipped);
  if (!failing) {
    return names;
  }
  for (const auto& name : *failing) {
    Data entry;
    put(entry, "name", name);
    names.push_back(entry);
  }
  return names;
}

std::string run_path(const http::RouteMatch& match) {
  return "/jobs/" + url_segment(match.capture("job")) + "/runs/" + url_segment(match.capture("id"));
}

http::ClientRequest api_request(const PageContext& context, const std::string& path) {
  http::ClientRequest request;
  request.url = context.api_url + path;
  request.user_agent = "cicd-ui/" CICD_VERSION;
  request.headers.push_back("Authorization: Bearer " + context.token);
  return request;
}

http::Reply run_page(const PageContext& context, const http::Request&,
                     const http::RouteMatch& match) {
  auto path = run_path(match);
  auto answer = context.get_page_json(path);
  if (answer.failure) {
    return std::move(*answer.failure);
  }
  const auto& run = answer.document;
  auto data = run_summary(run, context.base);
  auto job = std::string(match.capture("job"));
  put(data, "job_href", context.base + "/jobs/" + url_segment(job));
  put(data, "commit", json_string(run, "commitSha"));
  put(data, "agent", json_string(run, "agent"));
  put(data, "reason", json_string(run, "reason"));
  put(data, "exit_code", json_string(run, "exitCode"));
  put(data, "queue_position", json_string(run, "queuePosition"));
  // A hook-triggered run: where its commit status stands on the forge.
  if (run.HasMember("statusReport") && run["statusReport"].IsObject()) {
    const auto& report = run["statusReport"];
    auto state = json_string(report, "state");
    auto error = json_string(report, "error");
    put(data, "status_report",
        !error.empty()  ? "not reported: " + error
        : state.empty() ? "not yet reported"
                        : state);
  }
  put(data, "abort_requested",
      json_string(run, "abortRequested") == "true" ? Data::type::bool_true
                                                   : Data::type::bool_false);
  kainjow::mustache::list parameters;
  if (run.HasMember("parameters") && run["parameters"].IsObject()) {
    for (const auto& member : run["parameters"].GetObject()) {
      Data parameter;
      put(parameter, "name", member.name.GetString());
      put(parameter, "value", json_string(run["parameters"], member.name.GetString()));
      parameters.push_back(parameter);
    }
  }
  put(data, "parameters", parameters);
  put(data, "has_parameters", parameters.empty() ? Data::type::bool_false : Data::type::bool_true);

  // Results, with the JUnit summaries.
  std::int64_t console_size = -1;
  kainjow::mustache::list results;
  kainjow::mustache::list junit;
  if (auto listed = context.get_json(path + "/results");
      listed && listed->HasMember("items") && (*listed)["items"].IsArray()) {
    put(data, "results_expired",
        json_string(*listed, "resultsExpired") == "true" ? Data::type::bool_true
                                                         : Data::type::bool_false);
    for (const auto& item : (*listed)["items"].GetArray()) {
      auto name = json_string(item, "name");
      std::int64_t size =
          item.HasMember("size") && item["size"].IsInt64() ? item["size"].GetInt64() : 0;
      if (name == "console") {
        console_size = size;
      }
      Data result;
      put(result, "name", name);
      put(result, "size", human_size(size));
      put(result, "content_type", json_string(item, "contentType"));
      put(result, "href", context.base + path + "/results/" + name);
      results.push_back(result);
      if (item.HasMember("summary") && item["summary"].IsObject()) {
        const auto& s = item["summary"];
        Data summary;
        put(summary, "name", name);
        for (const char* key : {"tests", "passed", "failures", "errors", "skipped"}) {
          put(summary, key, json_string(s, key));
        }
        put(summary, "time", json_string(s, "time"));
        bool failing = json_string(s, "failures") != "0" || json_string(s, "errors") != "0";
        put(summary, "failing", failing ? Data::type::bool_true : Data::type::bool_false);
        if (failing && size <= k_junit_read_limit) {
          auto names = failing_test_list(context, path + "/results/" + url_segment(name),
                                         json_string(item, "contentType") == "application/zip");
          if (!names.empty()) {
            put(summary, "has_failing_tests", Data::type::bool_true);
            put(summary, "failing_tests", names);
          }
        }
        junit.push_back(summary);
      }
    }
  }
  put(data, "results", results);
  put(data, "has_results", results.empty() ? Data::type::bool_false : Data::type::bool_true);
  put(data, "junit", junit);

  // The console so far: the last k_inline_console bytes, and where the live view goes on.
  std::int64_t start = console_size > k_inline_console ? console_size - k_inline_console : 0;
  auto console = context.api("GET", path + "/results/console?offset=" + std::to_string(start));
  std::string text = console.status == 200 ? console.body : std::string();
  put(data, "console_html", console_html(text));
  put(data, "console_cut", start > 0 ? Data::type::bool_true : Data::type::bool_false);
  put(data, "console_offset", std::to_string(start + static_cast<std::int64_t>(text.size())));
  put(data, "console_href", context.base + path + "/results/console");
  put(data, "events_href", context.base + path + "/console/events");
  put(data, "abort_href", context.base + path + "/abort");
  return render_page(context, "run", fmt::format("{} #{}", job, match.capture("id")), data);
}

http::Reply abort_run(const PageContext& context, const http::Request&,
                      const http::RouteMatch& match) {
  auto path = run_path(match);
  auto response = context.api("POST", path + "/abort");
  if (response.status == 200 || response.status == 202 || response.status == 409) {
    return redirect(context.base + path); // 409: it ended meanwhile; the page shows how
  }
  return api_failure_page(context, response);
}

http::Reply download(const PageContext& context, const http::RouteMatch& match,
                     const std::string& name) {
  auto path = run_path(match);
  auto listed = context.get_json(path + "/results");
  std::string content_type;
  bool found = false;
  if (listed && listed->HasMember("items") && (*listed)["items"].IsArray()) {
    for (const auto& item : (*listed)["items"].GetArray()) {
      if (json_string(item, "name") == name) {
        content_type = json_string(item, "contentType");
        found = true;
      }
    }
  }
  if (!found) {
    return not_found_page(context, "This run has no result by that name.");
  }
  http::Response response{http::Status::ok, 11};
  response.set(field::content_type,
               content_type.empty() ? std::string("application/octet-stream") : content_type);
  // The API's own filename (Content-Disposition) is not relayed: the same rule makes it.
  auto file = name.substr(name.rfind('/') + 1);
  if (content_type == "application/gzip" && !file.ends_with(".tar.gz")) {
    file += ".tar.gz";
  } else if (content_type == "application/zip" && !file.ends_with(".zip")) {
    file += ".zip";
  } else if (content_type == "application/xml" && !file.ends_with(".xml")) {
    file += ".xml";
  }
  // Names are [A-Za-z0-9._-] (the API's rules), so they need no quoting beyond the quotes.
  if (name == "console") {
    response.set(field::content_disposition, "inline");
  } else {
    response.set(field::content_disposition, fmt::format("attachment; filename=\"{}\"", file));
  }
  response.set("X-Content-Type-Options", "nosniff");
  response.set(field::cache_control, "no-store");
  return http::Reply(std::move(response),
                     relay_stream(api_request(context, path + "/results/" + url_segment(name))));
}

http::Reply result(const PageContext& context, const http::Request&,
                   const http::RouteMatch& match) {
  return download(context, match, std::string(match.capture("name")));
}

http::Reply service_log(const PageContext& context, const http::Request&,
                        const http::RouteMatch& match) {
  return download(context, match, "services/" + std::string(match.capture("name")));
}

http::Reply console_events(const PageContext& context, const http::Request& request,
                           const http::RouteMatch& match) {
  auto path = run_path(match);
  // An EventSource that reconnects says where it was; the first connection says ?offset=.
  std::string offset(request["Last-Event-ID"]);
  if (offset.empty()) {
    offset = std::string(match.target.param("offset"));
  }
  if (offset.find_first_not_of("0123456789") != std::string::npos) {
    offset.clear();
  }
  // Check access first, so that a refused token gets its status and not an empty stream.
  auto run = context.api("GET", path);
  if (run.status != 200) {
    http::Response response{static_cast<http::Status>(run.status == 0 ? 502 : run.status), 11};
    response.prepare_payload();
    return response;
  }
  auto upstream = api_request(context, path + "/results/console?follow=true" +
                                           (offset.empty() ? "" : "&offset=" + offset));
  upstream.headers.emplace_back("Accept: text/event-stream");
  http::Response response{http::Status::ok, 11};
  response.set(field::content_type, "text/event-stream");
  response.set(field::cache_control, "no-store");
  response.set("X-Accel-Buffering", "no");
  return http::Reply(std::move(response), relay_stream(std::move(upstream)));
}

} // namespace

void add_run_pages(PageRoutes& routes) {
  routes.add(http::Verb::get, "/jobs/{job}/runs/{id}", run_page);
  routes.add(http::Verb::post, "/jobs/{job}/runs/{id}/abort", abort_run);
  routes.add(http::Verb::get, "/jobs/{job}/runs/{id}/results/services/{name}", service_log);
  routes.add(http::Verb::get, "/jobs/{job}/runs/{id}/results/{name}", result);
  routes.add(http::Verb::get, "/jobs/{job}/runs/{id}/console/events", console_events);
}

} // namespace cicd::ui

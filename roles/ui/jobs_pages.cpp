// GET /jobs[?q=TEXT][&after=NAME]: every job with its last run's status and duration, a page
// of 50 at a time, or (with q) every job whose name contains TEXT. One API request a page of
// the API's list (each item carries its lastRun).
#include "page_context.hpp"

namespace cicd::ui {
namespace {

constexpr std::size_t k_page = 50;

http::Reply jobs_page(const PageContext& context, const http::Request&,
                      const http::RouteMatch& match) {
  std::string filter(match.target.param("q"));
  std::string after(match.target.param("after"));
  kainjow::mustache::list rows;
  std::string next;
  std::string path = "/jobs?limit=" + std::to_string(filter.empty() ? k_page : 200);
  if (!after.empty()) {
    path += "&after=" + url_segment(after);
  }
  // With a filter, walk every page (names are sorted, so this is one pass).
  while (true) {
    auto response = context.api("GET", path);
    if (response.status != 200) {
      return api_failure_page(context, response);
    }
    rapidjson::Document list;
    list.Parse(response.body.c_str());
    if (list.HasParseError() || !list.IsObject() || !list.HasMember("items")) {
      return api_failure_page(context, response);
    }
    for (const auto& job : list["items"].GetArray()) {
      auto name = json_string(job, "name");
      if (!filter.empty() && name.find(filter) == std::string::npos) {
        continue;
      }
      Data row;
      put(row, "name", name);
      put(row, "href", context.base + "/jobs/" + url_segment(name));
      put(row, "type", json_string(job, "type"));
      put(row, "description", json_string(job, "description"));
      if (auto last = job.FindMember("lastRun");
          last != job.MemberEnd() && last->value.IsObject()) {
        put(row, "last", run_summary(last->value, context.base));
      } else {
        put(row, "never", Data::type::bool_true);
      }
      rows.push_back(row);
    }
    std::string next_api = json_string(list, "next");
    if (next_api.empty()) {
      break;
    }
    if (filter.empty()) {
      auto at = next_api.find("after=");
      if (at != std::string::npos) {
        next = context.base + "/jobs?after=" + next_api.substr(at + 6);
      }
      break;
    }
    path = next_api;
  }
  Data data;
  put(data, "filter", filter);
  put(data, "empty", rows.empty() ? Data::type::bool_true : Data::type::bool_false);
  put(data, "jobs", rows);
  put(data, "next", next);
  return render_page(context, "jobs", "Jobs", data);
}

} // namespace

void add_jobs_pages(PageRoutes& routes) {
  routes.add(http::Verb::get, "/jobs", jobs_page);
}

} // namespace cicd::ui

#pragma once
// What every page handler of the ui role works with: the signed-in user's API access, the
// CSRF token of their session, and rendering a template into the layout.

#include "cicd/http/client.hpp"
#include "cicd/http/message.hpp"
#include "cicd/http/router.hpp"

#include <kainjow/mustache.hpp>
#include <rapidjson/document.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::ui {

using Data = kainjow::mustache::data;

// Sets `key` in a template's data. Mustache treats every string as true, empty ones too, so an
// empty string is left out: {{#reason}}…{{/reason}} then shows only when there is a reason.
void put(Data& data, const std::string& key, const std::string& value);
void put(Data& data, const std::string& key, const char* value);
void put(Data& data, const std::string& key, const Data& value);
void put(Data& data, const std::string& key, const kainjow::mustache::list& value);
void put(Data& data, const std::string& key, Data::type value);

// One request's view of the world. Thread safety: none (one per request).
struct PageContext {
  std::string api_url;
  std::string base;  // the prefix the pages live under ("" or "/ui")
  std::string token; // the session's API token (empty: not signed in)
  std::string csrf;  // the token every form that changes something must carry
  bool secure_cookie = false;

  // One exchange with the master, as this user. `failed` responses carry status 0.
  http::ClientResponse api(const std::string& method, const std::string& path,
                           const std::string& body = {}) const;
  // GET path as JSON; nullopt when the answer is not 2xx (`status` says which it was).
  std::optional<rapidjson::Document> get_json(const std::string& path,
                                              long* status = nullptr) const;
  // GET path for a page: the JSON object, or (in `failure`) the page that says why there is
  // none (api_failure_page: the API's error, or an answer that is not a JSON object).
  struct PageJson {
    rapidjson::Document document;
    std::optional<http::Response> failure;
  };
  PageJson get_page_json(const std::string& path) const;
};

// The page `name` (roles/ui/templates/<name>.mustache) inside the layout, as a response.
http::Response render_page(const PageContext& context, const std::string& name,
                           const std::string& title, Data data,
                           http::Status status = http::Status::ok);
// A template alone (tests, fragments).
std::string render_template(const std::string& name, const Data& data);

http::Response redirect(const std::string& location);
http::Response not_found_page(const PageContext& context, const std::string& what);
// The page for an API answer that was not 2xx (401 sends the user to sign in).
http::Response api_failure_page(const PageContext& context, const http::ClientResponse& response);

// Form bodies (application/x-www-form-urlencoded) and query strings.
std::multimap<std::string, std::string> parse_form(std::string_view body);
std::string form_value(const std::multimap<std::string, std::string>& form, const std::string& key);
std::string url_segment(std::string_view text); // percent-encoded path segment or query value

// Presentation helpers shared by the pages.
std::string json_string(const rapidjson::Value& object, const char* member);
// "3 minutes ago" for an ISO 8601 UTC time ("" when null).
std::string relative_time(const std::string& iso);
// "1m 12s" between two ISO times ("" when either is missing; `end` empty: until now).
std::string duration_between(const std::string& start_iso, const std::string& end_iso);
std::string human_size(std::int64_t bytes);
// A run's status as words and a CSS class.
Data status_data(const std::string& status);
Data run_summary(const rapidjson::Value& run, const std::string& base);

// A page's handler: the request's context, the request, and the captures of its pattern.
using PageHandler =
    std::function<http::Reply(const PageContext&, const http::Request&, const http::RouteMatch&)>;

// Thread safety: add() before serving, then find() concurrently.
class PageRoutes {
public:
  // `pattern` is relative to the prefix ("/jobs/{job}").
  void add(http::Verb method, std::string pattern, PageHandler handler);
  http::Router::Found find(http::Verb method, const http::Target& target) const;
  const PageHandler& handler(const http::Route& route) const;

private:
  http::Router m_router;
  std::vector<PageHandler> m_handlers;
};

// The pages, one file each.
void add_jobs_pages(PageRoutes& routes);   // GET /jobs
void add_job_pages(PageRoutes& routes);    // GET /jobs/{job}, POST /jobs/{job}/runs
void add_run_pages(PageRoutes& routes);    // the run, its abort, results and live console
void add_agents_pages(PageRoutes& routes); // GET /agents, POST /agents/{agent}/drain

} // namespace cicd::ui

// The ui's front door: the prefix, static files, the session (a cookie holding the user's API
// token), sign in and out, the CSRF check on every POST, then the page routes.
#include "ui.hpp"

#include "page_context.hpp"

#include "embedded_ui.hpp"

#include "cicd/core/log.hpp"
#include "cicd/crypto/digest.hpp"
#include "cicd/crypto/random.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include <mutex>

namespace cicd::ui {
namespace {
using boost::beast::http::field;

constexpr const char* k_cookie = "cicd_session";
constexpr const char* k_signin_cookie = "cicd_signin";

std::string cookie_value(const http::Request& request, std::string_view name) {
  auto header = request[field::cookie];
  std::string_view rest(header.data(), header.size());
  while (!rest.empty()) {
    auto end = rest.find(';');
    auto pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(end + 1);
  }
  return {};
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// A token is printable ASCII without spaces, quotes, commas or semicolons (a JWT is), so it
// can sit in a cookie unencoded.
bool cookie_safe(std::string_view token) {
  if (token.empty() || token.size() > 8192) {
    return false;
  }
  for (char c : token) {
    if (c <= ' ' || c > '~' || c == '"' || c == ',' || c == ';' || c == '\\') {
      return false;
    }
  }
  return true;
}

http::Response forbidden_form() {
  http::Response response{http::Status::forbidden, 11};
  response.set(field::content_type, "text/plain; charset=utf-8");
  response.body() = "This form has expired or did not come from this site: go back, reload "
                    "the page and try again.\n";
  response.prepare_payload();
  return response;
}

http::Response static_file(std::string_view name, const std::string& content_type) {
  for (const auto& file : ui_static_files()) {
    if (file.name == name) {
      http::Response response{http::Status::ok, 11};
      response.set(field::content_type, content_type);
      response.set(field::cache_control, "public, max-age=300");
      response.body() = std::string(file.content);
      response.prepare_payload();
      return response;
    }
  }
  return http::Response{http::Status::not_found, 11};
}

} // namespace

struct Ui::Impl {
  UiOptions options;
  std::string csrf_key = crypto::random_bytes(32); // new per process: a restart signs out forms
  PageRoutes routes;

  std::string csrf_for(const std::string& token) const {
    return crypto::sha256_hex(csrf_key + "\n" + token).substr(0, 40);
  }

  std::string session_cookie(const std::string& token, bool clear) const {
    return fmt::format("{}={}; Path={}; HttpOnly; SameSite=Strict{}{}", k_cookie, token,
                       options.prefix.empty() ? "/" : options.prefix,
                       options.secure_cookie ? "; Secure" : "", clear ? "; Max-Age=0" : "");
  }

  http::Reply answer(const http::Request& request) const;
  http::Reply sign_in(const PageContext& context, const http::Request& request,
                      const http::Target& target) const;
};

Ui::Ui(UiOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->options = std::move(options);
  add_jobs_pages(m_impl->routes);
  add_job_pages(m_impl->routes);
  add_run_pages(m_impl->routes);
  add_agents_pages(m_impl->routes);
}

Ui::~Ui() = default;

void Ui::set_api_url(std::string url) {
  m_impl->options.api_url = std::move(url);
}
const std::string& Ui::prefix() const {
  return m_impl->options.prefix;
}

http::Reply Ui::handle(http::Request&& request) const {
  try {
    return m_impl->answer(request);
  } catch (const std::exception& e) {
    log::error("ui: {} {}: {}", request.method_string(), request.target(), e.what());
    http::Response response{http::Status::internal_server_error, 11};
    response.set(field::content_type, "text/plain; charset=utf-8");
    response.body() = "The page could not be made; the server's log says why.\n";
    response.prepare_payload();
    return response;
  }
}

http::Reply Ui::Impl::answer(const http::Request& request) const {
  std::string_view raw(request.target().data(), request.target().size());
  const auto& prefix = options.prefix;
  if (raw.substr(0, prefix.size()) != prefix) {
    return http::Response{http::Status::not_found, 11};
  }
  raw.remove_prefix(prefix.size());
  if (raw.empty() || raw == "/" || raw.front() == '?') {
    return redirect(prefix + "/jobs");
  }
  auto target = http::parse_target(raw);
  if (!target) {
    return http::Response{http::Status::bad_request, 11};
  }
  const auto& segments = target->segments;
  // For load balancers and process supervisors: answers without a session or the API.
  if (segments.size() == 1 && segments[0] == "healthz" && request.method() == http::Verb::get) {
    http::Response response{http::Status::ok, 11};
    response.set(field::content_type, "text/plain; charset=utf-8");
    response.body() = "ok\n";
    response.prepare_payload();
    return response;
  }
  if (segments.size() == 2 && segments[0] == "static" && request.method() == http::Verb::get) {
    if (segments[1] == "ui.css") {
      return static_file("ui.css", "text/css; charset=utf-8");
    }
    if (segments[1] == "console.js") {
      return static_file("console.js", "text/javascript; charset=utf-8");
    }
  }

  PageContext context;
  context.api_url = options.api_url;
  context.base = prefix;
  context.secure_cookie = options.secure_cookie;
  context.token = cookie_value(request, k_cookie);
  if (!cookie_safe(context.token)) {
    context.token.clear();
  }
  if (!context.token.empty()) {
    context.csrf = csrf_for(context.token);
  }

  if (segments.size() == 1 && segments[0] == "signin") {
    return sign_in(context, request, *target);
  }
  if (context.token.empty()) {
    return redirect(prefix + "/signin?next=" + url_segment(prefix + std::string(raw)));
  }
  if (request.method() == http::Verb::post) {
    auto form = parse_form(request.body());
    if (!equal_in_constant_time(form_value(form, "csrf"), context.csrf)) {
      return forbidden_form();
    }
  }
  if (segments.size() == 1 && segments[0] == "signout" && request.method() == http::Verb::post) {
    auto response = redirect(prefix + "/signin");
    response.set(field::set_cookie, session_cookie("", true));
    return response;
  }
  auto found = routes.find(request.method(), *target);
  if (found.route == nullptr) {
    if (!found.allowed_methods.empty()) {
      http::Response response{http::Status::method_not_allowed, 11};
      response.set(field::allow, found.allowed_methods);
      response.prepare_payload();
      return response;
    }
    return not_found_page(context, "There is no page at this address.");
  }
  http::RouteMatch match{*target, found.captures, {}};
  return routes.handler(*found.route)(context, request, match);
}

http::Reply Ui::Impl::sign_in(const PageContext& context, const http::Request& request,
                              const http::Target& target) const {
  auto next = std::string(target.param("next"));
  // Only a page of this site: never an absolute URL ("//evil.example" included).
  if (next.empty() || next.front() != '/' || next.starts_with("//") ||
      !next.starts_with(options.prefix)) {
    next = options.prefix + "/jobs";
  }
  Data data;
  put(data, "next", next);
  // Signing in has its own CSRF token (there is no session yet): a random value in a cookie
  // and in the form, which must match, so that no other site can sign a browser in as
  // someone else.
  PageContext form_context = context;
  form_context.token.clear(); // the sign-in page offers no sign-out
  form_context.csrf = cookie_value(request, k_signin_cookie);
  if (request.method() == http::Verb::post) {
    auto form = parse_form(request.body());
    if (form_context.csrf.empty() ||
        !equal_in_constant_time(form_value(form, "csrf"), form_context.csrf)) {
      return forbidden_form();
    }
    auto token = form_value(form, "token");
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    while (!token.empty() && (token.front() == ' ' || token.front() == '\n')) {
      token.erase(0, 1);
    }
    auto form_next = form_value(form, "next");
    if (!form_next.empty() && form_next.front() == '/' && !form_next.starts_with("//") &&
        form_next.starts_with(options.prefix)) {
      next = form_next;
      put(data, "next", next);
    }
    if (!cookie_safe(token)) {
      put(data, "error",
          "That does not look like a token: paste the whole output of "
          "`cicd ctl token create` (or `cicd standalone token create`).");
      return render_page(form_context, "signin", "Sign in", data, http::Status::bad_request);
    }
    PageContext trial = context;
    trial.token = token;
    auto check = trial.api("GET", "/jobs?limit=1");
    if (check.status == 401 || check.status == 403) {
      put(data, "error", "The server refused this token (expired, or signed with another key).");
      return render_page(form_context, "signin", "Sign in", data, http::Status::unauthorized);
    }
    if (check.status < 200 || check.status >= 300) {
      put(data, "error",
          fmt::format("The API at {} did not answer as expected ({}).", context.api_url,
                      check.status));
      return render_page(form_context, "signin", "Sign in", data, http::Status::bad_gateway);
    }
    auto response = redirect(next);
    response.set(field::set_cookie, session_cookie(token, false));
    return response;
  }
  if (request.method() != http::Verb::get) {
    http::Response response{http::Status::method_not_allowed, 11};
    response.set(field::allow, "GET, POST");
    response.prepare_payload();
    return response;
  }
  if (form_context.csrf.empty()) {
    form_context.csrf = crypto::sha256_hex(crypto::random_bytes(32)).substr(0, 40);
  }
  auto page = render_page(form_context, "signin", "Sign in", data);
  page.set(field::set_cookie,
           fmt::format("{}={}; Path={}/signin; HttpOnly; SameSite=Strict{}", k_signin_cookie,
                       form_context.csrf, options.prefix, options.secure_cookie ? "; Secure" : ""));
  return page;
}

void PageRoutes::add(http::Verb method, std::string pattern, PageHandler handler) {
  http::Route route;
  route.method = method;
  route.pattern = std::move(pattern);
  route.tag = static_cast<int>(m_handlers.size());
  route.handler = [](const http::Request&, const http::RouteMatch&) -> http::Reply {
    return http::Response{http::Status::internal_server_error, 11};
  };
  m_handlers.push_back(std::move(handler));
  m_router.add(std::move(route));
}

http::Router::Found PageRoutes::find(http::Verb method, const http::Target& target) const {
  return m_router.find(method, target);
}

const PageHandler& PageRoutes::handler(const http::Route& route) const {
  return m_handlers.at(static_cast<std::size_t>(route.tag));
}

} // namespace cicd::ui

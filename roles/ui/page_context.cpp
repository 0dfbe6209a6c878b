// Calling the API as the signed-in user, rendering templates into the layout, and the small
// presentation helpers the pages share.
#include "page_context.hpp"
#include "cicd/crypto/random.hpp"

#include "embedded_ui.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cicd::ui {
namespace {
using boost::beast::http::field;

std::string_view template_text(const std::string& name) {
  auto file = name + ".mustache";
  for (const auto& entry : ui_templates()) {
    if (entry.name == file) {
      return entry.content;
    }
  }
  throw std::logic_error("no template " + file);
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && crypto::hex_digit_value(text[i + 1]) >= 0 &&
               crypto::hex_digit_value(text[i + 2]) >= 0) {
      out += static_cast<char>(crypto::hex_digit_value(text[i + 1]) * 16 +
                               crypto::hex_digit_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::time_t> parse_iso(const std::string& iso) {
  std::tm tm{};
  int year = 0;
  int month = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &year, &month, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  return timegm(&tm);
}

std::string span_words(long long seconds) {
  if (seconds < 60) {
    return fmt::format("{}s", seconds);
  }
  if (seconds < 3600) {
    return fmt::format("{}m {}s", seconds / 60, seconds % 60);
  }
  if (seconds < 86400) {
    return fmt::format("{}h {}m", seconds / 3600, seconds % 3600 / 60);
  }
  return fmt::format("{}d {}h", seconds / 86400, seconds % 86400 / 3600);
}

} // namespace

void put(Data& data, const std::string& key, const std::string& value) {
  if (!value.empty()) {
    data.set(key, value);
  }
}
void put(Data& data, const std::string& key, const char* value) {
  put(data, key, std::string(value));
}
void put(Data& data, const std::string& key, const Data& value) {
  data.set(key, value);
}
void put(Data& data, const std::string& key, const kainjow::mustache::list& value) {
  data.set(key, value);
}
void put(Data& data, const std::string& key, Data::type value) {
  data.set(key, value);
}

http::ClientResponse PageContext::api(const std::string& method, const std::string& path,
                                      const std::string& body) const {
  http::Client client;
  http::ClientRequest request;
  request.method = method;
  request.url = api_url + path;
  request.body = body;
  request.user_agent = "cicd-ui/" CICD_VERSION;
  if (!token.empty()) {
    request.headers.push_back("Authorization: Bearer " + token);
  }
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type: application/json");
  }
  auto result = client.perform(request);
  if (result.end == http::ClientResult::End::failed) {
    http::ClientResponse failed;
    failed.body = result.error;
    return failed;
  }
  return result.response;
}

std::optional<rapidjson::Document> PageContext::get_json(const std::string& path,
                                                         long* status) const {
  auto response = api("GET", path);
  if (status != nullptr) {
    *status = response.status;
  }
  if (response.status < 200 || response.status >= 300) {
    return std::nullopt;
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str());
  if (document.HasParseError() || !document.IsObject()) {
    if (status != nullptr) {
      *status = 502;
    }
    return std::nullopt;
  }
  return document;
}

std::string render_template(const std::string& name, const Data& data) {
  kainjow::mustache::mustache page{std::string(template_text(name))};
  if (!page.is_valid()) {
    throw std::logic_error("template " + name + ": " + page.error_message());
  }
  return page.render(data);
}

http::Response render_page(const PageContext& context, const std::string& name,
                           const std::string& title, Data data, http::Status status) {
  put(data, "base", context.base);
  put(data, "csrf", context.csrf);
  Data layout;
  put(layout, "title", title);
  put(layout, "base", context.base);
  put(layout, "csrf", context.csrf);
  put(layout, "signed_in", context.token.empty() ? Data::type::bool_false : Data::type::bool_true);
  put(layout, "content", render_template(name, data));
  http::Response response{status, 11};
  response.set(field::content_type, "text/html; charset=utf-8");
  response.set(field::cache_control, "no-store");
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "frame-ancestors 'none'; form-action 'self'");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "same-origin");
  response.body() = render_template("layout", layout);
  response.prepare_payload();
  return response;
}

http::Response redirect(const std::string& location) {
  http::Response response{http::Status::see_other, 11};
  response.set(field::location, location);
  response.set(field::cache_control, "no-store");
  response.prepare_payload();
  return response;
}

http::Response not_found_page(const PageContext& context, const std::string& what) {
  Data data;
  put(data, "what", what);
  return render_page(context, "not_found", "Not found", data, http::Status::not_found);
}

PageContext::PageJson PageContext::get_page_json(const std::string& path) const {
  PageJson answer;
  auto response = api("GET", path);
  if (response.status == 200) {
    answer.document.Parse(response.body.c_str());
    if (!answer.document.HasParseError() && answer.document.IsObject()) {
      return answer;
    }
  }
  answer.failure = api_failure_page(*this, response);
  return answer;
}

http::Response api_failure_page(const PageContext& context, const http::ClientResponse& response) {
  if (response.status == 401) {
    return redirect(context.base + "/signin");
  }
  std::string detail = response.body;
  rapidjson::Document problem;
  problem.Parse(response.body.c_str());
  if (!problem.HasParseError() && problem.IsObject()) {
    detail = json_string(problem, "detail");
  }
  if (response.status == 404) {
    return not_found_page(context,
                          detail.empty() ? "The API knows nothing at this address." : detail);
  }
  Data data;
  put(data, "status",
      response.status == 0 ? std::string("no answer") : std::to_string(response.status));
  put(data, "detail", detail);
  auto status =
      response.status == 0 ? http::Status::bad_gateway : static_cast<http::Status>(response.status);
  return render_page(context, "error", "The API refused", data, status);
}

std::multimap<std::string, std::string> parse_form(std::string_view body) {
  std::multimap<std::string, std::string> form;
  while (!body.empty()) {
    auto end = body.find('&');
    auto pair = body.substr(0, end);
    auto eq = pair.find('=');
    if (!pair.empty()) {
      form.emplace(form_decode(pair.substr(0, eq)),
                   eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1)));
    }
    if (end == std::string_view::npos) {
      break;
    }
    body.remove_prefix(end + 1);
  }
  return form;
}

std::string form_value(const std::multimap<std::string, std::string>& form,
                       const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

std::string url_segment(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string json_string(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject()) {
    return {};
  }
  auto it = object.FindMember(member);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    return {};
  }
  if (it->value.IsString()) {
    return {it->value.GetString(), it->value.GetStringLength()};
  }
  if (it->value.IsInt64()) {
    return std::to_string(it->value.GetInt64());
  }
  if (it->value.IsBool()) {
    return it->value.GetBool() ? "true" : "false";
  }
  if (it->value.IsNumber()) {
    return fmt::format("{}", it->value.GetDouble());
  }
  return {};
}

std::string relative_time(const std::string& iso) {
  auto then = parse_iso(iso);
  if (!then) {
    return iso;
  }
  auto seconds = static_cast<long long>(std::time(nullptr) - *then);
  if (seconds < 5) {
    return "just now";
  }
  if (seconds < 0) {
    return "in " + span_words(-seconds);
  }
  return span_words(seconds) + " ago";
}

std::string duration_between(const std::string& start_iso, const std::string& end_iso) {
  auto start = parse_iso(start_iso);
  if (!start) {
    return {};
  }
  auto end = end_iso.empty() ? std::optional<std::time_t>(std::time(nullptr)) : parse_iso(end_iso);
  if (!end || *end < *start) {
    return {};
  }
  return span_words(static_cast<long long>(*end - *start));
}

std::string human_size(std::int64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  if (bytes < 1024 * 1024) {
    return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  }
  if (bytes < 1024LL * 1024 * 1024) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024));
  }
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

Data status_data(const std::string& status) {
  Data data;
  std::string words = status;
  if (status == "timed_out") {
    words = "timed out";
  } else if (status.empty()) {
    words = "never run";
  }
  put(data, "words", words);
  put(data, "class", "status-" + (status.empty() ? std::string("none") : status));
  return data;
}

namespace {

// " · pull request #12 (feature → main) of owner/repo" or " · push to main of owner/repo".
std::string hook_words(const rapidjson::Value& hook) {
  std::string words;
  if (hook.HasMember("pullRequest") && hook["pullRequest"].IsInt64()) {
    words = fmt::format(" · pull request #{} ({} → {})", hook["pullRequest"].GetInt64(),
                        json_string(hook, "headBranch"), json_string(hook, "baseBranch"));
  } else {
    words = " · push to " + json_string(hook, "headBranch");
  }
  return words + " of " + json_string(hook, "repository");
}

} // namespace

Data run_summary(const rapidjson::Value& run, const std::string& base) {
  Data data;
  auto id = json_string(run, "id");
  auto job = json_string(run, "job");
  put(data, "id", id);
  put(data, "job", job);
  put(data, "href", base + "/jobs/" + url_segment(job) + "/runs/" + id);
  auto status = json_string(run, "status");
  put(data, "status", status_data(status));
  auto queued = json_string(run, "queuedAt");
  auto started = json_string(run, "startedAt");
  auto finished = json_string(run, "finishedAt");
  put(data, "queued_at", queued);
  put(data, "queued_rel", relative_time(queued));
  put(data, "started_at", started);
  put(data, "started_rel", started.empty() ? std::string("not yet") : relative_time(started));
  put(data, "finished_at", finished);
  put(data, "finished_rel", finished.empty() ? std::string() : relative_time(finished));
  bool ongoing = status == "queued" || status == "running";
  put(data, "duration",
      started.empty() ? std::string() : duration_between(started, ongoing ? "" : finished));
  std::string trigger;
  if (run.HasMember("trigger") && run["trigger"].IsObject()) {
    const auto& t = run["trigger"];
    trigger = json_string(t, "kind");
    if (t.HasMember("hook") && t["hook"].IsObject()) {
      trigger += hook_words(t["hook"]);
    } else if (auto branch = json_string(t, "branchName"); !branch.empty()) {
      trigger += " · branch " + branch;
    }
    if (auto sha = json_string(t, "commitSha"); !sha.empty()) {
      trigger += " · commit " + sha.substr(0, 12);
    }
    // A hook's run is by the forge account that pushed, not by the hook's own token.
    auto by = t.HasMember("hook") && t["hook"].IsObject() ? json_string(t["hook"], "sender")
                                                          : json_string(t, "by");
    if (!by.empty()) {
      trigger += " · by " + by;
    }
  }
  put(data, "trigger", trigger);
  put(data, "ongoing", ongoing ? Data::type::bool_true : Data::type::bool_false);
  return data;
}

} // namespace cicd::ui

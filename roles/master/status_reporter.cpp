#include "status_reporter.hpp"

#include "integrations.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/http/client.hpp"
#include "cicd/model/json.hpp"

#include <boost/program_options/value_semantic.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

namespace cicd::master {
namespace {

using model::RunStatus;

// How long one reporter holds a run's report: longer than a post can take (the client gives
// up after 120 s), so a claim never expires under a reporter still posting.
constexpr std::int64_t k_claim_ms = 180 * 1000;

std::string_view github_state(RunStatus status) {
  switch (status) {
  case RunStatus::queued:
  case RunStatus::running:
    return "pending";
  case RunStatus::succeeded:
    return "success";
  case RunStatus::failed:
    return "failure";
  default:
    return "error";
  }
}

std::string_view gitlab_state(RunStatus status) {
  switch (status) {
  case RunStatus::queued:
    return "pending";
  case RunStatus::running:
    return "running";
  case RunStatus::succeeded:
    return "success";
  case RunStatus::aborted:
    return "canceled";
  default:
    return "failed";
  }
}

std::string description(const model::Run& run) {
  switch (run.status) {
  case RunStatus::queued:
    return fmt::format("run {} is queued", run.id);
  case RunStatus::running:
    return fmt::format("run {} is running", run.id);
  case RunStatus::succeeded:
    return fmt::format("run {} succeeded", run.id);
  case RunStatus::failed:
    return run.exit_code ? fmt::format("run {} failed (exit code {})", run.id, *run.exit_code)
                         : fmt::format("run {} failed", run.id);
  default: {
    auto text = fmt::format("run {} {}{}{}", run.id, model::to_string(run.status),
                            run.reason.empty() ? "" : ": ", run.reason);
    return text.size() > 140 ? text.substr(0, 137) + "..." : text;
  }
  }
}

// "owner/name" as one path segment each, "group/sub/project" as one segment (GitLab's
// URL-encoded project path), neither with characters beyond the repository rule.
std::string url_encoded(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

struct Post {
  http::ClientRequest request;
  std::string state;
};

Post status_post(const Integration& connection, const model::Run& run, const std::string& ui_url) {
  const auto& hook = *run.trigger.hook;
  Post post;
  post.state =
      std::string(hook.forge == "github" ? github_state(run.status) : gitlab_state(run.status));
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("state");
  model::write_string(writer, post.state);
  writer.Key(hook.forge == "github" ? "context" : "name");
  model::write_string(writer, "cicd/" + run.job);
  writer.Key("description");
  model::write_string(writer, description(run));
  if (!ui_url.empty()) {
    writer.Key("target_url");
    model::write_string(writer, fmt::format("{}/jobs/{}/runs/{}", ui_url, run.job, run.id));
  }
  writer.EndObject();
  auto& request = post.request;
  request.method = "POST";
  request.body = std::string(buffer.GetString(), buffer.GetSize());
  request.user_agent = "cicd";
  request.headers.push_back("Content-Type: application/json");
  if (hook.forge == "github") {
    request.url =
        fmt::format("{}/repos/{}/statuses/{}", connection.api_url, hook.repository, hook.head_sha);
    request.headers.push_back("Accept: application/vnd.github+json");
    request.headers.push_back("X-GitHub-Api-Version: 2022-11-28");
    request.headers.push_back("Authorization: Bearer " + connection.token);
  } else {
    auto project = hook.project_id.empty() ? url_encoded(hook.repository) : hook.project_id;
    request.url =
        fmt::format("{}/projects/{}/statuses/{}", connection.api_url, project, hook.head_sha);
    request.headers.push_back("PRIVATE-TOKEN: " + connection.token);
  }
  return post;
}

bool is_transient(long status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

// The forge's own words, short and on one line (never the request: it holds the token).
std::string forge_message(const http::ClientResult& result) {
  if (result.end == http::ClientResult::End::failed) {
    return result.error;
  }
  std::string body = result.response.body.substr(0, 200);
  std::replace_if(
      body.begin(), body.end(), [](char c) { return static_cast<unsigned char>(c) < ' '; }, ' ');
  return fmt::format("the forge answered {}: {}", result.response.status, body);
}

} // namespace

void add_status_reporter_options(boost::program_options::options_description& description,
                                 StatusReporterOptions& options) {
  namespace po = boost::program_options;
  description.add_options()(
      "ui-url", po::value(&options.ui_url),
      "the base URL of cicd ui as users reach it (e.g. https://ci.example.com/ui): commit "
      "statuses link to the run's page there")(
      "status-report-period",
      po::value<double>()
          ->default_value(static_cast<double>(options.period.count()) / 1000)
          ->notifier([&options](double value) {
            options.period = std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
          }),
      "seconds between two passes of the commit status reporter (also its first back-off)");
}

StatusReporter::StatusReporter(store::Store& store, const crypto::SecretBox& secret_box,
                               StatusReporterOptions options)
    : m_store(store), m_secret_box(secret_box), m_options(std::move(options)) {
  while (m_options.ui_url.ends_with('/')) {
    m_options.ui_url.pop_back();
  }
  m_options.period = std::max(m_options.period, std::chrono::milliseconds(50));
}

StatusReporter::~StatusReporter() {
  stop();
}

void StatusReporter::start() {
  m_thread = std::thread([this] {
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, m_options.period, [this] { return m_stopping; })) {
      lock.unlock();
      try {
        report_due();
      } catch (const std::exception& e) { // never let a report take the master down
        log::error("the status reporter failed: {}", e.what());
      }
      lock.lock();
    }
  });
}

void StatusReporter::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void StatusReporter::report_due() {
  auto now = now_unix_ms();
  auto due = m_store.status_reports_due(now, 100);
  if (!due) {
    log::warn("the status reporter could not read the runs to report: {}", due.error().message);
    return;
  }
  http::Client client;
  std::map<std::string, std::optional<Integration>> connections; // by forge/name, this pass
  for (const auto& run : *due) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) {
        return;
      }
    }
    const auto& hook = *run.trigger.hook;
    auto claimed = m_store.claim_status_report(run.id, now_unix_ms(), now_unix_ms() + k_claim_ms);
    if (!claimed || !*claimed) {
      continue; // another reporter has it, or the database is away (the next pass retries)
    }
    auto key = hook.forge + "/" + hook.connection;
    auto found = connections.find(key);
    if (found == connections.end()) {
      auto loaded = load_integration(m_store, m_secret_box, hook.forge, hook.connection);
      if (!loaded) {
        log::warn("run {}: connection {} could not be read: {}", run.id, key,
                  loaded.error().message);
        m_store.record_status_report(run.id, {std::nullopt, {}, {}, now_unix_ms() + 1000});
        continue;
      }
      found = connections.emplace(key, std::move(*loaded)).first;
    }
    store::StatusReportOutcome outcome;
    if (!found->second) {
      outcome = {run.status, "", "the " + key + " connection no longer exists", 0};
    } else {
      auto post = status_post(*found->second, run, m_options.ui_url);
      auto result = client.perform(post.request);
      auto status = result.end == http::ClientResult::End::complete ? result.response.status : 0;
      if (status >= 200 && status < 300) {
        outcome = {run.status, post.state, "", 0};
      } else if (is_transient(status)) {
        auto attempts = run.status_report ? run.status_report->attempts : 0;
        auto backoff =
            std::min<std::int64_t>(m_options.period.count() << std::min<std::int64_t>(attempts, 20),
                                   m_options.max_backoff.count());
        log::warn("run {}: reporting '{}' to {} failed, retrying in {} ms: {}", run.id, post.state,
                  key, backoff, forge_message(result));
        outcome = {std::nullopt, "", "", now_unix_ms() + backoff};
      } else {
        log::warn("run {}: {} refused the status '{}' for good: {}", run.id, key, post.state,
                  forge_message(result));
        outcome = {run.status, post.state, forge_message(result), 0};
      }
    }
    if (auto recorded = m_store.record_status_report(run.id, outcome); !recorded) {
      log::warn("run {}: the outcome of its status report could not be recorded: {}", run.id,
                recorded.error().message);
    }
  }
}

} // namespace cicd::master

#include "agent_fixture.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <thread>

namespace cicd::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_poll = 200ms;
constexpr auto k_cleanup_deadline = 20s;

bool is_terminal(std::string_view status) {
  return status == "succeeded" || status == "failed" || status == "errored" ||
         status == "timed_out" || status == "aborted";
}

std::string shortened(const std::string& text) {
  constexpr std::size_t k_shown = 4096;
  if (text.size() <= k_shown) {
    return text;
  }
  return text.substr(0, k_shown / 2) + "\n[… " + std::to_string(text.size() - k_shown) +
         " bytes …]\n" + text.substr(text.size() - k_shown / 2);
}

} // namespace

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

testing::AssertionResult holds_text(const std::string& text, std::string_view needle) {
  if (text.find(needle) != std::string::npos) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "'" << needle << "' is not in:\n" << shortened(text);
}

testing::AssertionResult lacks_text(const std::string& text, std::string_view needle) {
  auto at = text.find(needle);
  if (at == std::string::npos) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "'" << needle << "' is at byte " << at << " of:\n"
                                     << shortened(text);
}

void AgentTest::SetUp() {
  require_docker_engine(m_docker);
  if (HasFatalFailure() || IsSkipped()) {
    return;
  }
  m_engine_lock = std::make_unique<EngineLock>(m_docker.socket_path(), 300s);
  m_image = ensure_busybox_image(m_docker);
  if (HasFatalFailure()) {
    return;
  }
  m_standalone = std::make_unique<CicdStandalone>(standalone_options());
}

void AgentTest::TearDown() {
  if (m_standalone) {
    check_nothing_left();
    auto agent = m_standalone->agent_id();
    m_standalone->stop();
    EXPECT_FALSE(agent.empty()) << "no agent.id in the data dir";
    if (!agent.empty()) {
      auto label = "cicd.agent=" + agent;
      auto containers = m_docker.containers_with_label(label);
      auto networks = m_docker.networks_with_label(label);
      EXPECT_TRUE(containers && networks) << "Docker did not answer";
      if (containers && networks) {
        EXPECT_EQ(*containers, std::vector<std::string>{})
            << "containers labelled " << label << " after the standalone process stopped";
        EXPECT_EQ(*networks, std::vector<std::string>{})
            << "networks labelled " << label << " after the standalone process stopped";
      }
    }
    if (HasFailure()) {
      auto log = m_standalone->log();
      constexpr std::size_t k_tail = 12000;
      if (log.size() > k_tail) {
        log = "…" + log.substr(log.size() - k_tail);
      }
      std::cerr << "--- the standalone process's log ---\n" << log << "--- end ---\n";
    }
  }
  m_standalone.reset();
  m_engine_lock.reset();
}

// Ends what a failed test left running first: the checks below are about clean-up, not about
// the test's subject.
void AgentTest::check_nothing_left() {
  for (const auto& [job, id] : m_runs) {
    if (!is_terminal(get_run(job, id).status)) {
      call(Verb::post, run_path(job, id) + "/abort", {}, "trigger");
      wait_for_end(job, id);
    }
  }
  std::vector<std::string> left;
  auto deadline = std::chrono::steady_clock::now() + k_cleanup_deadline;
  for (;;) {
    left.clear();
    for (const auto& [job, id] : m_runs) {
      auto label = fmt::format("cicd.run={}", id);
      auto containers = m_docker.containers_with_label(label);
      auto networks = m_docker.networks_with_label(label);
      if (!containers || !networks) {
        left.push_back("Docker did not answer: " +
                       (containers ? networks.error().message : containers.error().message));
        continue;
      }
      for (const auto& container : *containers) {
        left.push_back(fmt::format("container {} ({})", container, label));
      }
      for (const auto& network : *networks) {
        left.push_back(fmt::format("network {} ({})", network, label));
      }
    }
    std::error_code ec;
    for (fs::directory_iterator it(m_standalone->work_dir(), ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().filename().string().starts_with("run-")) {
        left.push_back("temp dir " + it->path().string());
      }
    }
    if (left.empty() || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(k_poll);
  }
  std::string listed;
  for (const auto& item : left) {
    listed += "\n  " + item;
  }
  EXPECT_TRUE(left.empty()) << "left " << k_cleanup_deadline.count()
                            << " s after the runs ended:" << listed;
}

HttpResponse AgentTest::call(Verb method, std::string_view target, std::string_view body,
                             const std::string& scope) {
  HttpHeaders headers;
  if (!scope.empty()) {
    headers.emplace_back("Authorization", "Bearer " + m_standalone->token(scope));
  }
  auto response = m_standalone->client().request(method, target, body, headers);
  m_responses_seen += response.body;
  m_responses_seen += '\n';
  return response;
}

std::string AgentTest::freestyle_job(std::string_view script, std::string_view members) const {
  return fmt::format(R"({{"type":"freestyle","image":{},"script":{}{}{}}})", json_quote(m_image),
                     json_quote(script), members.empty() ? "" : ",", members);
}

void AgentTest::put_job(std::string_view name, const std::string& definition) {
  auto response = call(Verb::put, "/jobs/" + std::string(name), definition);
  EXPECT_TRUE(response.status == 200 || response.status == 201)
      << "PUT /jobs/" << name << " → " << response.status << " " << response.body;
}

std::int64_t AgentTest::trigger(std::string_view job, std::string_view body) {
  std::string default_body = R"({"commitSha":")" + std::string(k_zero_sha) + R"("})";
  auto response = call(Verb::post, "/jobs/" + std::string(job) + "/runs",
                       body.empty() ? std::string_view(default_body) : body, "trigger");
  EXPECT_EQ(response.status, 201) << response.body;
  if (response.status != 201) {
    return -1;
  }
  auto document = parse_json(response.body);
  if (!document.IsObject() || !document.HasMember("id") || !document["id"].IsInt64()) {
    ADD_FAILURE() << "no run id in " << response.body;
    return -1;
  }
  auto id = document["id"].GetInt64();
  m_runs.emplace_back(std::string(job), id);
  return id;
}

std::string AgentTest::run_path(std::string_view job, std::int64_t id) {
  return fmt::format("/jobs/{}/runs/{}", job, id);
}

RunView AgentTest::get_run(std::string_view job, std::int64_t id) {
  auto response = call(Verb::get, run_path(job, id), {}, "read");
  EXPECT_EQ(response.status, 200) << response.body;
  RunView view;
  view.body = response.body;
  auto document = parse_json(response.body);
  if (!document.IsObject()) {
    return view;
  }
  view.status = string_member(document, "status");
  view.reason = string_member(document, "reason");
  view.started_at = string_member(document, "startedAt");
  view.finished_at = string_member(document, "finishedAt");
  view.agent = string_member(document, "agent");
  if (document.HasMember("exitCode") && document["exitCode"].IsInt64()) {
    view.exit_code = document["exitCode"].GetInt64();
  }
  return view;
}

RunView AgentTest::wait_for_end(std::string_view job, std::int64_t id,
                                std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto run = get_run(job, id);
    if (is_terminal(run.status)) {
      return run;
    }
    if (std::chrono::steady_clock::now() >= until) {
      ADD_FAILURE() << "run " << id << " of " << job << " did not end within " << deadline.count()
                    << " s: " << run.body;
      return run;
    }
    std::this_thread::sleep_for(k_poll);
  }
}

RunView AgentTest::wait_for_status(std::string_view job, std::int64_t id, std::string_view status,
                                   std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto run = get_run(job, id);
    if (run.status == status) {
      return run;
    }
    if (is_terminal(run.status) || std::chrono::steady_clock::now() >= until) {
      ADD_FAILURE() << "run " << id << " of " << job << " never was " << status << ": " << run.body;
      return run;
    }
    std::this_thread::sleep_for(k_poll);
  }
}

std::string AgentTest::wait_for_console(std::string_view job, std::int64_t id,
                                        std::string_view text, std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto output = console(job, id);
    if (output.find(text) != std::string::npos) {
      return output;
    }
    if (std::chrono::steady_clock::now() >= until) {
      ADD_FAILURE() << "the console of run " << id << " did not show '" << text << "' within "
                    << deadline.count() << " s:\n"
                    << shortened(output);
      return output;
    }
    std::this_thread::sleep_for(k_poll);
  }
}

std::string AgentTest::console(std::string_view job, std::int64_t id) {
  auto response = call(Verb::get, run_path(job, id) + "/results/console", {}, "read");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.header("Content-Type").starts_with("text/plain"))
      << response.header("Content-Type");
  return response.body;
}

std::vector<ResultView> AgentTest::results(std::string_view job, std::int64_t id) {
  auto response = call(Verb::get, run_path(job, id) + "/results", {}, "read");
  EXPECT_EQ(response.status, 200) << response.body;
  std::vector<ResultView> listed;
  auto document = parse_json(response.body);
  if (!document.IsObject() || !document.HasMember("items") || !document["items"].IsArray()) {
    ADD_FAILURE() << "no \"items\" array in " << response.body;
    return listed;
  }
  for (const auto& item : document["items"].GetArray()) {
    ResultView view;
    view.name = string_member(item, "name");
    view.content_type = string_member(item, "contentType");
    if (item.IsObject() && item.HasMember("size") && item["size"].IsInt64()) {
      view.size = item["size"].GetInt64();
    }
    if (item.IsObject() && item.HasMember("summary") && item["summary"].IsObject()) {
      const auto& summary = item["summary"];
      auto count = [&](const char* key) {
        return summary.HasMember(key) && summary[key].IsInt64() ? summary[key].GetInt64() : -1;
      };
      view.summary = JunitView{count("tests"),
                               count("passed"),
                               count("failures"),
                               count("errors"),
                               count("skipped"),
                               summary.HasMember("time") && summary["time"].IsNumber()
                                   ? summary["time"].GetDouble()
                                   : -1};
    }
    listed.push_back(std::move(view));
  }
  return listed;
}

HttpResponse AgentTest::result(std::string_view job, std::int64_t id, std::string_view name) {
  return call(Verb::get, run_path(job, id) + "/results/" + std::string(name), {}, "read");
}

} // namespace cicd::test

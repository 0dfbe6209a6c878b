// Commit statuses of hook-triggered runs that really execute (a `cicd standalone` with one
// slot, jobs on the busybox image): the sequence the stand-in GitHub API receives when it is
// down and comes back, and a permanent refusal that is recorded without touching the run.
#include "agent_fixture.hpp"
#include "hooks_fixture.hpp"

#include "support/forge_payloads.hpp"

#include <gtest/gtest.h>

namespace cicd::test {
namespace {

constexpr std::string_view k_head_sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

class HookStatusTest : public AgentTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 1; // a blocking run keeps the hook's run queued for as long as a test needs
    options.extra_args = {"--status-report-period", "0.1"};
    return options;
  }

  void set_up_connection_and_job(std::string_view job) {
    auto put = call(Verb::put, "/integrations/github/acme", integration_body(m_forge.url()));
    ASSERT_EQ(put.status, 201) << put.body;
    put_job(job, freestyle_job("echo built", triggers_member("github")));
  }

  // Delivers GitHub's example "opened" pull request; returns the run it started.
  std::int64_t deliver_opened(std::string_view delivery) {
    auto body = github_example("pull_request", "opened");
    auto response = standalone().client().request(Verb::post, "/hooks/github/acme", body,
                                                  github_headers("pull_request", delivery, body));
    EXPECT_EQ(response.status, 202) << response.body;
    auto document = parse_json(response.body);
    if (!document.IsObject() || !document["runs"].IsArray() || document["runs"].Empty()) {
      ADD_FAILURE() << response.body;
      return -1;
    }
    return document["runs"][0]["id"].GetInt64();
  }

  // The states the stand-in took (answered 2xx) for `context`, in order.
  std::vector<std::string> accepted_states(std::string_view context) {
    std::vector<std::string> states;
    for (const auto& request : m_forge.requests()) {
      if (request.context == context && request.answered / 100 == 2) {
        states.push_back(request.state);
      }
    }
    return states;
  }

  ForgeApiServer m_forge;
};

TEST_F(HookStatusTest, StatusApiDownThenUpReportsPendingThenSuccess) {
  set_up_connection_and_job("hello");
  put_job("blocker", freestyle_job("sleep 120"));
  auto blocker = trigger("blocker");
  wait_for_status("blocker", blocker, "running");
  m_forge.fail_next(3, 503);

  auto run = deliver_opened("d-down-up");
  ASSERT_GT(run, 0);
  // Three 503s, retried with back-off, then "pending" is taken while the run waits.
  ASSERT_TRUE(eventually([&] { return !accepted_states("cicd/hello").empty(); }))
      << "no status was taken";
  EXPECT_EQ(get_run("hello", run).status, "queued");
  EXPECT_EQ(call(Verb::post, run_path("blocker", blocker) + "/abort", {}, "trigger").status, 202);

  EXPECT_EQ(wait_for_end("hello", run).status, "succeeded");
  ASSERT_TRUE(eventually([&] {
    auto states = accepted_states("cicd/hello");
    return !states.empty() && states.back() == "success";
  })) << "no success was reported";
  auto states = accepted_states("cicd/hello");
  ASSERT_GE(states.size(), 2u);
  for (std::size_t i = 0; i + 1 < states.size(); ++i) {
    EXPECT_EQ(states[i], "pending") << "report " << i;
  }
  int refused = 0;
  for (const auto& request : m_forge.requests()) {
    EXPECT_EQ(request.target, "/repos/Codertocat/Hello-World/statuses/" + std::string(k_head_sha));
    EXPECT_EQ(request.context, "cicd/hello");
    refused += request.answered == 503 ? 1 : 0;
  }
  EXPECT_EQ(refused, 3);
  auto document = parse_json(get_run("hello", run).body);
  EXPECT_EQ(string_member(document["statusReport"], "state"), "success");
  EXPECT_TRUE(document["statusReport"]["error"].IsNull());
  wait_for_end("blocker", blocker);
}

TEST_F(HookStatusTest, PermanentRefusalLeavesTheRunSucceeded) {
  set_up_connection_and_job("hello");
  m_forge.answer_always(422);
  auto run = deliver_opened("d-refused");
  ASSERT_GT(run, 0);
  EXPECT_EQ(wait_for_end("hello", run).status, "succeeded");
  std::string body;
  ASSERT_TRUE(eventually([&] {
    body = get_run("hello", run).body;
    auto document = parse_json(body);
    return document.HasMember("statusReport") &&
           string_member(document["statusReport"], "state") == "success";
  })) << body;
  auto document = parse_json(body);
  EXPECT_EQ(string_member(document, "status"), "succeeded");
  EXPECT_NE(string_member(document["statusReport"], "error").find("422"), std::string::npos)
      << body;
  // Every report was refused, none retried: at most one request per run status.
  auto requests = m_forge.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().state, "success");
  EXPECT_LE(requests.size(), 3u); // pending (queued), pending (running), success
  EXPECT_TRUE(lacks_text(responses_seen(), k_status_token));
  EXPECT_TRUE(lacks_text(standalone().log(), k_status_token));
  EXPECT_TRUE(lacks_text(standalone().log(), k_hook_secret));
}

} // namespace
} // namespace cicd::test

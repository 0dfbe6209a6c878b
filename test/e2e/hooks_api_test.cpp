// POST /hooks/{github,gitlab}/{name} and /integrations/… against a real `cicd master`, with
// GitHub's own example payloads (@octokit/webhooks-examples) signed in the test, GitLab
// payloads of the shape GitLab documents (no package ships real ones), and a stand-in for the
// forges' status APIs on loopback. The runs stay queued (no agent): what they do once an
// agent takes them is in hooks_status_test.cpp.
#include "hooks_fixture.hpp"

#include "support/forge_payloads.hpp"
#include "support/postgres.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace cicd::test {
namespace {

constexpr std::string_view k_job = R"({"type":"freestyle","image":"busybox","script":"true",)";
constexpr std::string_view k_head_sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

class HookApiTest : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      m_postgres_url = fresh_postgres_database();
      if (m_postgres_url.empty()) {
        return;
      }
    }
    m_master = std::make_unique<CicdMaster>(
        m_postgres_url, std::vector<std::string>{"--status-report-period", "0.1", "--ui-url",
                                                 "https://ci.example.com/ui/"});
  }

  void TearDown() override {
    if (m_master && HasFailure()) {
      std::cerr << "--- the master's log ---\n" << m_master->log() << "--- end ---\n";
    }
    m_master.reset();
    if (!m_postgres_url.empty()) {
      drop_postgres_database(m_postgres_url);
    }
  }

  HttpResponse call(Verb method, std::string_view target, std::string_view body = {},
                    const std::string& scope = "admin") {
    HttpHeaders headers;
    if (!scope.empty()) {
      headers.emplace_back("Authorization", "Bearer " + m_master->token(scope));
    }
    return m_master->client().request(method, target, body, headers);
  }

  // The connection "acme" on the stand-in API, and job `name` watching the example repository.
  void set_up_job(std::string_view name, std::string_view trigger_members = {}) {
    auto put = call(Verb::put, "/integrations/github/acme", integration_body(m_forge.url()));
    ASSERT_TRUE(put.status == 201 || put.status == 200) << put.body;
    auto job = std::string(k_job) + triggers_member("github", trigger_members) + "}";
    auto created = call(Verb::put, "/jobs/" + std::string(name), job);
    ASSERT_TRUE(created.status == 201 || created.status == 200) << created.body;
  }

  HttpResponse deliver(std::string_view body, const HttpHeaders& headers,
                       std::string_view connection = "acme") {
    return m_master->client().request(Verb::post, "/hooks/github/" + std::string(connection), body,
                                      headers);
  }

  // The run ids of `job`, newest first.
  std::vector<std::int64_t> run_ids(std::string_view job) {
    auto response = call(Verb::get, "/jobs/" + std::string(job) + "/runs", {}, "read");
    std::vector<std::int64_t> ids;
    auto document = parse_json(response.body);
    if (document.IsObject() && document.HasMember("items")) {
      for (const auto& item : document["items"].GetArray()) {
        ids.push_back(item["id"].GetInt64());
      }
    }
    return ids;
  }

  static std::vector<std::int64_t> started(const HttpResponse& response) {
    std::vector<std::int64_t> ids;
    auto document = parse_json(response.body);
    if (document.IsObject() && document.HasMember("runs")) {
      for (const auto& run : document["runs"].GetArray()) {
        ids.push_back(run["id"].GetInt64());
      }
    }
    return ids;
  }

  std::string m_postgres_url;
  std::unique_ptr<CicdMaster> m_master;
  ForgeApiServer m_forge;
};

TEST_P(HookApiTest, ConnectionSecretsAreWriteOnly) {
  if (!m_master) {
    return;
  }
  auto created = call(Verb::put, "/integrations/github/acme", integration_body(m_forge.url()));
  EXPECT_EQ(created.status, 201) << created.body;
  auto replaced = call(Verb::put, "/integrations/github/acme", integration_body(m_forge.url()));
  EXPECT_EQ(replaced.status, 200) << replaced.body;
  auto got = call(Verb::get, "/integrations/github/acme");
  EXPECT_EQ(got.status, 200);
  auto document = parse_json(got.body);
  EXPECT_EQ(string_member(document, "webhookUrl"), "/hooks/github/acme");
  EXPECT_EQ(string_member(document, "apiUrl"), m_forge.url());
  auto listed = call(Verb::get, "/integrations/github");
  EXPECT_EQ(listed.status, 200);
  for (const auto& body : {created.body, replaced.body, got.body, listed.body}) {
    EXPECT_EQ(body.find(k_hook_secret), std::string::npos) << body;
    EXPECT_EQ(body.find(k_status_token), std::string::npos) << body;
  }
  EXPECT_EQ(m_master->log().find(k_hook_secret), std::string::npos);
  EXPECT_EQ(m_master->log().find(k_status_token), std::string::npos);

  // Bad input changes nothing.
  EXPECT_TRUE(is_problem(call(Verb::put, "/integrations/github/other", R"({"token":"t0k3n"})"), 400,
                         "webhookSecret"));
  EXPECT_TRUE(is_problem(call(Verb::put, "/integrations/github/other",
                              R"({"webhookSecret":"s","token":"t","apiUrl":"ftp://x"})"),
                         400, "apiUrl"));
  EXPECT_TRUE(is_problem(call(Verb::put, "/integrations/github/other",
                              R"({"webhookSecret":"s","token":"t","colour":"red"})"),
                         400, "colour"));
  EXPECT_TRUE(is_problem(
      call(Verb::put, "/integrations/github/other", R"({"webhookSecret":"s","token":"t"})", "read"),
      403));
  EXPECT_TRUE(is_problem(call(Verb::get, "/integrations/github/other"), 404));
  EXPECT_EQ(call(Verb::get, "/integrations/github").body, listed.body);

  EXPECT_EQ(call(Verb::delete_, "/integrations/github/acme").status, 204);
  EXPECT_TRUE(is_problem(call(Verb::get, "/integrations/github/acme"), 404));
}

TEST_P(HookApiTest, RefusedDeliveriesStartNothing) {
  if (!m_master) {
    return;
  }
  set_up_job("hello");
  auto body = github_example("pull_request", "opened");
  auto good = github_headers("pull_request", "d-refused", body);
  auto without = [&](std::string_view name) {
    HttpHeaders headers;
    for (const auto& header : good) {
      if (header.first != name) {
        headers.push_back(header);
      }
    }
    return headers;
  };
  auto no_signature = without("X-Hub-Signature-256");
  auto sha1_only = no_signature;
  sha1_only.emplace_back("X-Hub-Signature", github_sha1_signature(k_hook_secret, body));
  auto wrong_secret = github_headers("pull_request", "d-refused", body, "another-secret");
  auto not_hex = no_signature;
  not_hex.emplace_back("X-Hub-Signature-256", "sha256=" + std::string(64, 'z'));
  auto changed = body;
  changed.replace(changed.find("\"opened\""), 8, "\"closed\"");

  EXPECT_TRUE(is_problem(deliver(body, no_signature), 401));
  EXPECT_TRUE(is_problem(deliver(body, sha1_only), 401));
  EXPECT_TRUE(is_problem(deliver(body, wrong_secret), 401));
  EXPECT_TRUE(is_problem(deliver(body, not_hex), 401));
  EXPECT_TRUE(is_problem(deliver(changed, good), 401)) << "a body changed after signing";
  EXPECT_TRUE(is_problem(deliver(body, good, "unknown"), 401));
  EXPECT_TRUE(is_problem(deliver(body, without("X-GitHub-Delivery")), 400, "X-GitHub-Delivery"));
  EXPECT_TRUE(is_problem(deliver(body, without("X-GitHub-Event")), 400, "X-GitHub-Event"));
  auto not_json = std::string("{\"action\":");
  EXPECT_TRUE(
      is_problem(deliver(not_json, github_headers("pull_request", "d-json", not_json)), 400));
  EXPECT_EQ(run_ids("hello"), std::vector<std::int64_t>{});
  EXPECT_EQ(m_forge.requests().size(), 0u);

  // The signature is checked first: the secret matters, not the bearer token.
  auto with_token = no_signature;
  with_token.emplace_back("Authorization", "Bearer " + m_master->token("admin"));
  EXPECT_TRUE(is_problem(deliver(body, with_token), 401));
  EXPECT_EQ(run_ids("hello"), std::vector<std::int64_t>{});
}

TEST_P(HookApiTest, PullRequestStartsARunAndReportsPending) {
  if (!m_master) {
    return;
  }
  set_up_job("hello");
  set_up_job("other-repo");
  ASSERT_EQ(call(Verb::put, "/jobs/other-repo",
                 std::string(k_job) +
                     R"("triggers":{"github":{"connection":"acme","repository":"a/b"}}})")
                .status,
            200);
  auto body = github_example("pull_request", "opened");
  auto response = deliver(body, github_headers("pull_request", "d-opened", body));
  ASSERT_EQ(response.status, 202) << response.body;
  auto ids = started(response);
  ASSERT_EQ(ids.size(), 1u) << response.body;
  EXPECT_EQ(run_ids("other-repo"), std::vector<std::int64_t>{});

  auto run = call(Verb::get, "/jobs/hello/runs/" + std::to_string(ids[0]), {}, "read");
  ASSERT_EQ(run.status, 200);
  auto document = parse_json(run.body);
  const auto& trigger = document["trigger"];
  EXPECT_EQ(string_member(trigger, "kind"), "github");
  EXPECT_EQ(string_member(trigger, "commitSha"), k_head_sha);
  const auto& hook = trigger["hook"];
  EXPECT_EQ(hook["pullRequest"].GetInt64(), 2);
  EXPECT_EQ(string_member(hook, "headBranch"), "changes");
  EXPECT_EQ(string_member(hook, "baseBranch"), "master");
  EXPECT_EQ(string_member(hook, "sender"), "Codertocat");
  EXPECT_EQ(string_member(hook, "repository"), k_example_repository);
  EXPECT_EQ(string_member(hook, "delivery"), "d-opened");
  EXPECT_EQ(run.body.find(k_hook_secret), std::string::npos);
  EXPECT_EQ(run.body.find(k_status_token), std::string::npos);

  // The reporter posts "pending" for the queued run, with the connection's token.
  ASSERT_TRUE(eventually([&] { return !m_forge.requests().empty(); })) << "no status was posted";
  auto posted = m_forge.requests().front();
  EXPECT_EQ(posted.target, "/repos/Codertocat/Hello-World/statuses/" + std::string(k_head_sha));
  EXPECT_EQ(posted.authorization, "Bearer " + std::string(k_status_token));
  EXPECT_EQ(posted.state, "pending");
  EXPECT_EQ(posted.context, "cicd/hello");
  EXPECT_EQ(posted.target_url,
            "https://ci.example.com/ui/jobs/hello/runs/" + std::to_string(ids[0]));
  EXPECT_FALSE(posted.description.empty());
  EXPECT_EQ(m_master->log().find(k_status_token), std::string::npos);
  EXPECT_EQ(m_master->log().find(k_hook_secret), std::string::npos);
}

TEST_P(HookApiTest, UnwatchedEventsAreIgnored) {
  if (!m_master) {
    return;
  }
  set_up_job("hello", R"("push":{"branches":["release/*"]})");
  auto ping = github_example("ping");
  auto pong = deliver(ping, github_headers("ping", "d-ping", ping));
  EXPECT_EQ(pong.status, 200) << pong.body;

  auto closed = github_example("pull_request", "closed");
  auto response = deliver(closed, github_headers("pull_request", "d-closed", closed));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(string_member(parse_json(response.body), "ignored"), "action 'closed' is not watched");

  auto push = with_strings(github_example("push"), {{"ref", "refs/heads/master"}});
  response = deliver(push, github_headers("push", "d-push-master", push));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(string_member(parse_json(response.body), "ignored"),
            "pushes to branch 'master' are not watched");

  auto other = with_strings(github_example("pull_request", "opened"),
                            {{"pull_request.base.repo.full_name", "someone/else"}});
  response = deliver(other, github_headers("pull_request", "d-other", other));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_NE(string_member(parse_json(response.body), "ignored").find("no job watches"),
            std::string::npos)
      << response.body;

  auto issue = std::string(R"({"action":"opened"})");
  response = deliver(issue, github_headers("issues", "d-issue", issue));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(string_member(parse_json(response.body), "ignored"), "event 'issues' is not watched");
  EXPECT_EQ(run_ids("hello"), std::vector<std::int64_t>{});

  // A push to a watched branch runs at the pushed commit.
  auto release = with_strings(github_example("push"), {{"ref", "refs/heads/release/1.0"}});
  response = deliver(release, github_headers("push", "d-push-release", release));
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(run_ids("hello").size(), 1u);
}

TEST_P(HookApiTest, RedeliveryStartsNothingNew) {
  if (!m_master) {
    return;
  }
  set_up_job("hello");
  set_up_job("second");
  auto body = github_example("pull_request", "synchronize");
  auto first = deliver(body, github_headers("pull_request", "d-sync", body));
  ASSERT_EQ(first.status, 202) << first.body;
  auto ids = started(first);
  EXPECT_EQ(ids.size(), 2u);
  auto again = deliver(body, github_headers("pull_request", "d-sync", body));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(started(again), ids);
  EXPECT_TRUE(parse_json(again.body)["replayed"].GetBool());
  EXPECT_EQ(run_ids("hello").size(), 1u);
  EXPECT_EQ(run_ids("second").size(), 1u);

  // Another delivery of the same event is a new one.
  auto reopened = github_example("pull_request", "reopened");
  auto next = deliver(reopened, github_headers("pull_request", "d-reopened", reopened));
  EXPECT_EQ(next.status, 202) << next.body;
  EXPECT_EQ(run_ids("hello").size(), 2u);
}

TEST_P(HookApiTest, ForkPullRequestsNeedAllowForks) {
  if (!m_master) {
    return;
  }
  set_up_job("hello");
  auto fork = with_strings(github_example("pull_request", "opened"),
                           {{"pull_request.head.repo.full_name", "mallory/Hello-World"}});
  auto response = deliver(fork, github_headers("pull_request", "d-fork", fork));
  EXPECT_EQ(response.status, 200) << response.body;
  auto document = parse_json(response.body);
  ASSERT_TRUE(document["skipped"].IsArray() && document["skipped"].Size() == 1) << response.body;
  EXPECT_EQ(string_member(document["skipped"][0], "job"), "hello");
  EXPECT_NE(string_member(document["skipped"][0], "reason").find("fork"), std::string::npos);
  EXPECT_EQ(run_ids("hello"), std::vector<std::int64_t>{});

  set_up_job("trusting", R"("allowForks": true)");
  response = deliver(fork, github_headers("pull_request", "d-fork-2", fork));
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(run_ids("trusting").size(), 1u);
  EXPECT_EQ(run_ids("hello"), std::vector<std::int64_t>{});
}

TEST_P(HookApiTest, PermanentStatusRefusalIsRecordedOnTheRun) {
  if (!m_master) {
    return;
  }
  m_forge.answer_always(422);
  set_up_job("hello");
  auto body = github_example("pull_request", "opened");
  auto response = deliver(body, github_headers("pull_request", "d-422", body));
  ASSERT_EQ(response.status, 202) << response.body;
  auto target = "/jobs/hello/runs/" + std::to_string(started(response).at(0));
  std::string seen;
  ASSERT_TRUE(eventually([&] {
    seen = call(Verb::get, target, {}, "read").body;
    return seen.find("\"error\":\"the forge answered 422") != std::string::npos;
  })) << seen;
  auto document = parse_json(seen);
  EXPECT_EQ(string_member(document, "status"), "queued");
  EXPECT_EQ(string_member(document["statusReport"], "state"), "pending");
  // Refused for good: asked once, not again.
  EXPECT_EQ(m_forge.requests().size(), 1u);
}

TEST_P(HookApiTest, JobTriggersAreValidated) {
  if (!m_master) {
    return;
  }
  auto job = [](std::string_view triggers) {
    return std::string(k_job) + R"("triggers":)" + std::string(triggers) + "}";
  };
  EXPECT_TRUE(is_problem(call(Verb::put, "/jobs/bad", job(R"({"github":{"repository":"a/b"}})")),
                         400, "triggers.github.connection"));
  EXPECT_TRUE(is_problem(
      call(Verb::put, "/jobs/bad", job(R"({"github":{"connection":"acme","repository":"../x"}})")),
      400, "triggers.github.repository"));
  EXPECT_TRUE(is_problem(call(Verb::put, "/jobs/bad",
                              job(R"({"github":{"connection":"acme","repository":"a/b",)"
                                  R"("push":{"branches":["has space"]}}})")),
                         400, "triggers.github.push.branches[0]"));
  EXPECT_TRUE(is_problem(call(Verb::put, "/jobs/bad", job(R"({"bitbucket":{}})")), 400,
                         "triggers.bitbucket"));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/bad"), 404));

  ASSERT_EQ(
      call(Verb::put, "/jobs/good", job(R"({"github":{"connection":"acme","repository":"a/b"}})"))
          .status,
      201);
  auto stored = parse_json(call(Verb::get, "/jobs/good").body);
  const auto& github = stored["triggers"]["github"];
  EXPECT_EQ(github["pullRequest"]["actions"].Size(), 3u);
  EXPECT_FALSE(github["allowForks"].GetBool());
}

// GitLab's documented "Merge Request Hook" example, cut to what cicd reads (no npm package
// ships GitLab's real payloads). The source project is the target project: not a fork.
std::string gitlab_merge_request(std::string_view action) {
  return std::string(R"({"object_kind":"merge_request","event_type":"merge_request",)"
                     R"("user":{"id":1,"name":"Administrator","username":"root"},)"
                     R"("project":{"id":1,"name":"Gitlab Test","path_with_namespace":")") +
         std::string(k_example_repository) +
         R"("},"object_attributes":{"id":99,"iid":1,"target_branch":"master",)"
         R"("source_branch":"ms-viewport","source_project_id":1,"target_project_id":1,)"
         R"("state":"opened","action":")" +
         std::string(action) +
         R"(","last_commit":{"id":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7",)"
         R"("message":"fixed readme"}}})";
}

TEST_P(HookApiTest, GitlabMergeRequestStartsARunAndReportsPending) {
  if (!m_master) {
    return;
  }
  ASSERT_EQ(call(Verb::put, "/integrations/gitlab/acme", integration_body(m_forge.url())).status,
            201);
  ASSERT_EQ(
      call(Verb::put, "/jobs/lab", std::string(k_job) + triggers_member("gitlab") + "}").status,
      201);
  auto body = gitlab_merge_request("open");
  auto deliver_gitlab = [&](std::string_view payload, std::string_view token,
                            std::string_view uuid) {
    HttpHeaders headers{{"X-Gitlab-Event", "Merge Request Hook"},
                        {"X-Gitlab-Event-UUID", std::string(uuid)},
                        {"Content-Type", "application/json"}};
    if (!token.empty()) {
      headers.emplace_back("X-Gitlab-Token", std::string(token));
    }
    return m_master->client().request(Verb::post, "/hooks/gitlab/acme", payload, headers);
  };
  EXPECT_TRUE(is_problem(deliver_gitlab(body, "", "u-1"), 401));
  EXPECT_TRUE(is_problem(deliver_gitlab(body, "wrong-token", "u-1"), 401));
  EXPECT_TRUE(is_problem(deliver_gitlab(body, std::string(k_hook_secret) + "x", "u-1"), 401));
  EXPECT_TRUE(is_problem(deliver_gitlab(body, k_hook_secret, ""), 400, "X-Gitlab-Event-UUID"));
  EXPECT_EQ(run_ids("lab"), std::vector<std::int64_t>{});

  auto closed = deliver_gitlab(gitlab_merge_request("close"), k_hook_secret, "u-0");
  EXPECT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(string_member(parse_json(closed.body), "ignored"), "action 'close' is not watched");

  auto response = deliver_gitlab(body, k_hook_secret, "u-1");
  ASSERT_EQ(response.status, 202) << response.body;
  auto ids = started(response);
  ASSERT_EQ(ids.size(), 1u);
  auto again = deliver_gitlab(body, k_hook_secret, "u-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(started(again), ids);
  EXPECT_EQ(run_ids("lab").size(), 1u);

  auto run = parse_json(call(Verb::get, "/jobs/lab/runs/" + std::to_string(ids[0])).body);
  EXPECT_EQ(string_member(run["trigger"], "kind"), "gitlab");
  EXPECT_EQ(string_member(run["trigger"]["hook"], "headBranch"), "ms-viewport");
  EXPECT_EQ(string_member(run["trigger"]["hook"], "sender"), "root");

  ASSERT_TRUE(eventually([&] { return !m_forge.requests().empty(); })) << "no status was posted";
  auto posted = m_forge.requests().front();
  EXPECT_EQ(posted.target, "/projects/1/statuses/da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(posted.authorization, k_status_token);
  EXPECT_EQ(posted.state, "pending");
  EXPECT_EQ(posted.context, "cicd/lab");
}

CICD_INSTANTIATE_FOR_BOTH_STORES(HookApiTest);

} // namespace
} // namespace cicd::test

// Issue 11, security tests of the webhook endpoints beyond hooks_api_test.cpp (which covers a
// missing, SHA-1-only, wrong or stale signature and a plain redelivery): a signed body over the
// size limit, a replayed delivery id carrying another validly signed event, and a delivery
// signed with another connection's secret. None of them starts a run.
#include "hooks_fixture.hpp"

#include "support/forge_payloads.hpp"

#include <fmt/format.h>

namespace cicd::test {
namespace {

class SecurityHooksTest : public ApiTest {
protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    for (const auto* name : {"acme", "other"}) {
      auto secret = std::string(name) == "acme" ? std::string(k_hook_secret) : "other-secret-71c2";
      auto put = call(Verb::put, std::string("/integrations/github/") + name,
                      fmt::format(R"({{"webhookSecret":"{}","token":"t0k3n","apiUrl":"{}"}})",
                                  secret, m_forge.url()));
      ASSERT_EQ(put.status, 201) << put.body;
    }
    auto job = R"({"type":"freestyle","image":"busybox","script":"true",)" +
               triggers_member("github") + "}";
    ASSERT_EQ(put_job("hello", job).status, 201);
  }

  HttpResponse deliver(std::string_view body, const HttpHeaders& headers,
                       std::string_view connection = "acme") {
    return client().request(Verb::post, "/hooks/github/" + std::string(connection), body, headers);
  }

  std::size_t run_count() {
    auto document = parse_json(call(Verb::get, "/jobs/hello/runs", {}, "read").body);
    return document.IsObject() && document.HasMember("items") ? document["items"].Size() : 0;
  }

  ForgeApiServer m_forge;
};
CICD_INSTANTIATE_FOR_BOTH_STORES(SecurityHooksTest);

TEST_P(SecurityHooksTest, ASignedBodyOverTheLimitIs413AndStartsNothing) {
  auto body = github_example("pull_request", "opened");
  // Still valid JSON and validly signed: only its size is wrong.
  auto padded =
      body.substr(0, body.rfind('}')) + R"(,"padding":")" + std::string(1024 * 1024, 'p') + "\"}";
  auto response = deliver(padded, github_headers("pull_request", "d-big", padded));
  ASSERT_TRUE(is_problem(response, 413)) << response.body.substr(0, 300);
  EXPECT_EQ(run_count(), 0u);
  EXPECT_EQ(m_forge.requests().size(), 0u);
  // The same delivery at its real size is then taken: the refused one left no trace.
  auto taken = deliver(body, github_headers("pull_request", "d-big", body));
  EXPECT_EQ(taken.status, 202) << taken.body;
  EXPECT_EQ(run_count(), 1u);
}

TEST_P(SecurityHooksTest, AReplayedDeliveryIdStartsNothingEvenWithAnotherSignedEvent) {
  auto opened = github_example("pull_request", "opened");
  auto first = deliver(opened, github_headers("pull_request", "d-replay", opened));
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(run_count(), 1u);
  // An attacker who captured the delivery sends it again, and another validly signed event
  // (a captured one) under the same id: neither is a new delivery.
  EXPECT_EQ(deliver(opened, github_headers("pull_request", "d-replay", opened)).status, 200);
  auto reopened = github_example("pull_request", "reopened");
  auto replayed = deliver(reopened, github_headers("pull_request", "d-replay", reopened));
  EXPECT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_TRUE(parse_json(replayed.body)["replayed"].GetBool());
  EXPECT_EQ(run_count(), 1u);
}

TEST_P(SecurityHooksTest, ADeliverySignedForAnotherConnectionIs401) {
  auto body = github_example("pull_request", "opened");
  // Signed with "other"'s secret, sent to "acme" (whose job watches the repository).
  auto crossed =
      deliver(body, github_headers("pull_request", "d-cross", body, "other-secret-71c2"));
  EXPECT_TRUE(is_problem(crossed, 401)) << crossed.body;
  // An empty secret and an empty signature are no match either.
  auto empty = deliver(body, {{"X-GitHub-Event", "pull_request"},
                              {"X-GitHub-Delivery", "d-empty"},
                              {"X-Hub-Signature-256", "sha256="},
                              {"Content-Type", "application/json"}});
  EXPECT_TRUE(is_problem(empty, 401)) << empty.body;
  auto unsigned_hmac = deliver(body, github_headers("pull_request", "d-nokey", body, ""));
  EXPECT_TRUE(is_problem(unsigned_hmac, 401)) << unsigned_hmac.body;
  EXPECT_EQ(run_count(), 0u);
  EXPECT_EQ(m_forge.requests().size(), 0u);
}

} // namespace
} // namespace cicd::test

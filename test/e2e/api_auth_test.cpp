// Authentication (Bearer JWT, HS256 with the key file in the data dir) and scopes
// (read ⊂ trigger ⊂ admin). Bad tokens are forged here with OpenSSL, independently of cicd.
#include "api_fixture.hpp"

#include "support/jwt_forge.hpp"

#include <ctime>

namespace cicd::test {
namespace {

class ApiAuthTest : public ApiTest {
protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    m_key = read_hs256_key(master().data_dir());
    ASSERT_GE(m_key.size(), 32u);
  }

  const std::string& key() const { return m_key; }

  // Expects `response` to be a 401 problem with a Bearer challenge.
  static testing::AssertionResult is_unauthorized(const HttpResponse& response) {
    auto problem = is_problem(response, 401);
    if (!problem) {
      return problem;
    }
    if (!response.header("WWW-Authenticate").starts_with("Bearer")) {
      return testing::AssertionFailure()
             << "no Bearer challenge: WWW-Authenticate: " << response.header("WWW-Authenticate");
    }
    return testing::AssertionSuccess();
  }

private:
  std::string m_key;
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiAuthTest);

constexpr std::string_view k_hs256 = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view k_other_key = "not the server's key, but long enough for HS256 use";

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string claims(std::string_view scope, std::int64_t exp, std::string_view extra = {}) {
  return R"({"sub":"mallory","scope":")" + std::string(scope) + R"(","iat":)" +
         std::to_string(now()) + R"(,"exp":)" + std::to_string(exp) + std::string(extra) + "}";
}

TEST_P(ApiAuthTest, HealthzNeedsNoToken) {
  auto response = call(Verb::get, "/healthz", {}, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(string_member(parse_json(response.body), "status"), "ok");
}

TEST_P(ApiAuthTest, AForgedTokenWithTheRightKeyIsAccepted) {
  // The control for the forged tokens below: they fail for what is wrong in them, not because
  // the forging is wrong.
  auto token = sign_hs256(k_hs256, claims("admin", now() + 3600), key());
  auto response =
      call_with_authorization(Verb::put, "/jobs/forged", "Bearer " + token, k_readme_job);
  EXPECT_EQ(response.status, 201) << response.body;
  auto lowercase_scheme = call_with_authorization(Verb::get, "/jobs/forged", "bearer " + token);
  EXPECT_EQ(lowercase_scheme.status, 200) << lowercase_scheme.body;
}

TEST_P(ApiAuthTest, NoTokenIs401WithAChallengeOnEveryRouteButHealthz) {
  auto before = observable_state("unit-test");
  for (auto [method, target] : std::vector<std::pair<Verb, std::string>>{
           {Verb::get, "/jobs"},
           {Verb::put, "/jobs/unit-test"},
           {Verb::get, "/jobs/unit-test"},
           {Verb::delete_, "/jobs/unit-test"},
           {Verb::post, "/jobs/unit-test/runs"},
           {Verb::get, "/jobs/unit-test/runs"},
           {Verb::get, "/jobs/unit-test/runs/1"},
           {Verb::post, "/jobs/unit-test/runs/1/abort"},
           {Verb::post, "/jobs/unit-test/runs/1/rerun"},
           {Verb::get, "/jobs/unit-test/secrets"},
           {Verb::put, "/jobs/unit-test/secrets/TOKEN"},
           {Verb::delete_, "/jobs/unit-test/secrets/TOKEN"},
           // Authentication comes before routing and validation.
           {Verb::get, "/no/such/route"},
           {Verb::patch, "/jobs/unit-test"},
           {Verb::put, "/jobs/%2e%2e"},
       }) {
    auto body = method == Verb::put ? k_readme_job : std::string_view();
    auto response = call(method, target, body, "");
    EXPECT_TRUE(is_unauthorized(response)) << target;
    EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer realm=\"cicd\"") << target;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiAuthTest, BadTokensAre401AndChangeNothing) {
  auto valid_read = token("read");
  auto first_dot = valid_read.find('.');
  auto second_dot = valid_read.find('.', first_dot + 1);
  auto header_part = valid_read.substr(0, first_dot);
  auto signature_part = valid_read.substr(second_dot + 1);
  auto flip = [](std::string text, std::size_t at) {
    text[at] = text[at] == 'A' ? 'B' : 'A';
    return text;
  };
  auto unsigned_token = [](std::string_view header, std::string_view payload) {
    return base64url(header) + "." + base64url(payload) + ".";
  };
  auto good = claims("admin", now() + 3600);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"the literal abc.def.ghi", "Bearer abc.def.ghi"},
      {"alg none, unsigned", "Bearer " + unsigned_token(R"({"alg":"none","typ":"JWT"})", good)},
      {"alg none, signed", "Bearer " + sign_hs256(R"({"alg":"none"})", good, key())},
      {"alg None, unsigned", "Bearer " + unsigned_token(R"({"alg":"None"})", good)},
      {"no alg", "Bearer " + sign_hs256(R"({"typ":"JWT"})", good, key())},
      {"alg RS256 with an HMAC (key confusion)",
       "Bearer " + sign_hs256(R"({"alg":"RS256","typ":"JWT"})", good, key())},
      {"alg HS512", "Bearer " + sign_hs256(R"({"alg":"HS512","typ":"JWT"})", good, key())},
      {"HS256 with the wrong key", "Bearer " + sign_hs256(k_hs256, good, k_other_key)},
      {"expired an hour ago",
       "Bearer " + sign_hs256(k_hs256, claims("admin", now() - 3600), key())},
      {"not valid for another hour",
       "Bearer " +
           sign_hs256(k_hs256,
                      claims("admin", now() + 7200, R"(,"nbf":)" + std::to_string(now() + 3600)),
                      key())},
      {"no exp", "Bearer " + sign_hs256(k_hs256, R"({"sub":"mallory","scope":"admin"})", key())},
      {"exp as a string",
       "Bearer " +
           sign_hs256(k_hs256, R"({"sub":"mallory","scope":"admin","exp":"never"})", key())},
      {"no sub",
       "Bearer " + sign_hs256(k_hs256,
                              R"({"scope":"admin","exp":)" + std::to_string(now() + 3600) + "}",
                              key())},
      {"an unknown scope", "Bearer " + sign_hs256(k_hs256, claims("root", now() + 3600), key())},
      {"a payload tampered to admin", "Bearer " + header_part + "." +
                                          base64url(claims("admin", now() + 3600)) + "." +
                                          signature_part},
      {"a flipped signature byte", "Bearer " + flip(valid_read, second_dot + 1)},
      {"a flipped payload byte", "Bearer " + flip(valid_read, first_dot + 1)},
      {"two parts only", "Bearer " + valid_read.substr(0, second_dot)},
      {"four parts", "Bearer " + valid_read + ".AAAA"},
      {"the payload not JSON", "Bearer " + sign_hs256(k_hs256, "not json", key())},
      {"an 8 KiB token", "Bearer " + std::string(9000, 'a') + "." + signature_part},
      {"an empty token", "Bearer "},
      {"another scheme", "Basic " + base64url("admin:admin")},
      {"a token without a scheme", valid_read},
  };
  auto before = observable_state("forged");
  for (const auto& [description, authorization] : bad) {
    auto response = call_with_authorization(Verb::put, "/jobs/forged", authorization, k_readme_job);
    EXPECT_TRUE(is_unauthorized(response)) << description;
    auto read = call_with_authorization(Verb::get, "/jobs", authorization);
    EXPECT_TRUE(is_unauthorized(read)) << description;
  }
  EXPECT_EQ(observable_state("forged"), before);
}

TEST_P(ApiAuthTest, AnInvalidTokenIsNamedInTheChallengeButNotEchoed) {
  auto token = sign_hs256(k_hs256, claims("admin", now() - 3600), key());
  auto response = call_with_authorization(Verb::get, "/jobs", "Bearer " + token);
  ASSERT_TRUE(is_unauthorized(response));
  EXPECT_NE(response.header("WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos)
      << response.header("WWW-Authenticate");
  EXPECT_EQ(response.body.find(token), std::string::npos);
  EXPECT_EQ(response.body.find(token.substr(token.rfind('.') + 1)), std::string::npos);
}

TEST_P(ApiAuthTest, ReadScopeReadsOnly) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  auto run = std::to_string(trigger_run("unit-test"));
  for (const auto* target :
       {"/jobs", "/jobs/unit-test", "/jobs/unit-test/runs", "/jobs/unit-test/secrets"}) {
    EXPECT_EQ(call(Verb::get, target, {}, "read").status, 200) << target;
  }
  EXPECT_EQ(call(Verb::get, "/jobs/unit-test/runs/" + run, {}, "read").status, 200);
  auto before = observable_state("unit-test");
  for (auto [method, target, body] : std::vector<std::tuple<Verb, std::string, std::string>>{
           {Verb::post, "/jobs/unit-test/runs", R"({"branchName":"main"})"},
           {Verb::post, "/jobs/unit-test/runs/" + run + "/abort", ""},
           {Verb::post, "/jobs/unit-test/runs/" + run + "/rerun", ""},
           {Verb::put, "/jobs/unit-test", R"({"type":"freestyle","image":"x","script":"y"})"},
           {Verb::put, "/jobs/new-job", std::string(k_readme_job)},
           {Verb::delete_, "/jobs/unit-test", ""},
           {Verb::put, "/jobs/unit-test/secrets/TOKEN", R"({"value":"xxxx"})"},
           {Verb::delete_, "/jobs/unit-test/secrets/TOKEN", ""},
       }) {
    EXPECT_TRUE(is_problem(call(method, target, body, "read"), 403)) << target;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/new-job", {}, "read"), 404));
}

TEST_P(ApiAuthTest, TriggerScopeTriggersButDoesNotChangeJobs) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  ASSERT_EQ(call(Verb::put, "/jobs/unit-test/secrets/TOKEN", R"({"value":"xxxx"})").status, 201);
  auto created = call(Verb::post, "/jobs/unit-test/runs", R"({"branchName":"main"})", "trigger");
  ASSERT_EQ(created.status, 201) << created.body;
  auto run = created.header("Location");
  EXPECT_EQ(call(Verb::post, run + "/rerun", {}, "trigger").status, 201);
  EXPECT_EQ(call(Verb::post, run + "/abort", {}, "trigger").status, 200);
  auto before = observable_state("unit-test");
  for (auto [method, target, body] : std::vector<std::tuple<Verb, std::string, std::string>>{
           {Verb::put, "/jobs/unit-test", R"({"type":"freestyle","image":"x","script":"y"})"},
           {Verb::put, "/jobs/new-job", std::string(k_readme_job)},
           {Verb::delete_, "/jobs/unit-test", ""},
           {Verb::put, "/jobs/unit-test/secrets/TOKEN", R"({"value":"yyyy"})"},
           {Verb::put, "/jobs/unit-test/secrets/OTHER", R"({"value":"yyyy"})"},
           {Verb::delete_, "/jobs/unit-test/secrets/TOKEN", ""},
       }) {
    auto response = call(method, target, body, "trigger");
    EXPECT_TRUE(is_problem(response, 403)) << target;
    EXPECT_NE(string_member(parse_json(response.body), "detail").find("admin"), std::string::npos)
        << response.body;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/new-job", {}, "read"), 404));
}

} // namespace
} // namespace cicd::test

// PUT/DELETE /jobs/{job}/secrets/{KEY} and GET /jobs/{job}/secrets: values go in, never out.
#include "api_fixture.hpp"

#include <fstream>
#include <random>
#include <sstream>

namespace cicd::test {
namespace {

class ApiSecretsTest : public ApiTest {
protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ASSERT_EQ(put_job("unit-test").status, 201);
  }

  HttpResponse put_secret(std::string_view job, std::string_view key, std::string_view body,
                          const std::string& scope = "admin") {
    return call(Verb::put, "/jobs/" + std::string(job) + "/secrets/" + std::string(key), body,
                scope);
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiSecretsTest);

std::string random_canary() {
  std::random_device random;
  std::ostringstream text;
  text << "canary-" << std::hex << random() << random() << random();
  return text.str();
}

// The files under `root` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& root,
                                          const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

TEST_P(ApiSecretsTest, PutListDelete) {
  auto created = put_secret("unit-test", "DEPLOY_TOKEN", R"({"value":"s3cr3t"})");
  EXPECT_EQ(created.status, 201) << created.body;
  auto document = parse_json(created.body);
  EXPECT_EQ(string_member(document, "name"), "DEPLOY_TOKEN");
  EXPECT_FALSE(string_member(document, "updatedAt").empty());
  EXPECT_FALSE(document.HasMember("value"));

  auto replaced = put_secret("unit-test", "DEPLOY_TOKEN", R"({"value":"n3w-value"})");
  EXPECT_EQ(replaced.status, 200) << replaced.body;
  ASSERT_EQ(put_secret("unit-test", "_OTHER", R"({"value":"xxxx"})").status, 201);

  auto listed = call(Verb::get, "/jobs/unit-test/secrets", {}, "read");
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto list = parse_json(listed.body);
  std::vector<std::string> names;
  for (const auto& item : list["items"].GetArray()) {
    names.push_back(string_member(item, "name"));
    EXPECT_FALSE(string_member(item, "updatedAt").empty());
    EXPECT_FALSE(item.HasMember("value"));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"DEPLOY_TOKEN", "_OTHER"}));

  auto deleted = call(Verb::delete_, "/jobs/unit-test/secrets/DEPLOY_TOKEN");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_TRUE(is_problem(call(Verb::delete_, "/jobs/unit-test/secrets/DEPLOY_TOKEN"), 404));
  auto after = parse_json(call(Verb::get, "/jobs/unit-test/secrets", {}, "read").body);
  ASSERT_EQ(after["items"].Size(), 1u);
  EXPECT_EQ(string_member(after["items"][0], "name"), "_OTHER");
}

// RELIABILITY.md invariant 7: a canary secret appears in no API response, no log, and (SQLite,
// whose file the test can read) no database file in plaintext.
TEST_P(ApiSecretsTest, ACanaryValueIsNeverEchoed) {
  auto canary = random_canary();
  std::vector<HttpResponse> responses;
  responses.push_back(put_secret("unit-test", "CANARY", R"({"value":")" + canary + R"("})"));
  ASSERT_EQ(responses.back().status, 201);
  responses.push_back(put_secret("unit-test", "CANARY", R"({"value":")" + canary + R"("})"));
  ASSERT_EQ(put_job("unit-test", R"({"type":"freestyle","image":"a","script":"b",
      "secrets":["CANARY"]})")
                .status,
            200);
  responses.push_back(trigger("unit-test", R"({"branchName":"main"})"));
  auto run = responses.back().header("Location");
  for (const auto& target : {std::string("/jobs/unit-test/secrets"), std::string("/jobs/unit-test"),
                             std::string("/jobs"), std::string("/jobs/unit-test/runs"), run}) {
    responses.push_back(call(Verb::get, target, {}, "admin"));
    EXPECT_EQ(responses.back().status, 200) << target;
  }
  // A refused write must not echo the value either.
  responses.push_back(put_secret("unit-test", "PATH", R"({"value":")" + canary + R"("})"));
  responses.push_back(
      put_secret("unit-test", "CANARY", R"({"value":")" + canary + R"(", "extra": 1})"));
  for (const auto& response : responses) {
    EXPECT_EQ(response.body.find(canary), std::string::npos) << response.body;
    for (const auto& field : response.headers) {
      EXPECT_EQ(std::string(field.value()).find(canary), std::string::npos);
    }
  }
  EXPECT_EQ(files_containing(master().root_dir(), canary), std::vector<std::string>{});
}

TEST_P(ApiSecretsTest, BadNamesAre400AndStoreNothing) {
  ASSERT_EQ(put_secret("unit-test", "KEEP", R"({"value":"xxxx"})").status, 201);
  auto before = observable_state("unit-test");
  for (const auto* key :
       {"A%3DB", "PATH", "HOME", "LD_PRELOAD", "CICD_X", "CICD_", "1ABC", "A%00B", "A%0AB", "A-B",
        "A%20B", "%2e%2e", "%2e%2e%2fKEEP",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_TRUE(is_problem(put_secret("unit-test", key, R"({"value":"xxxx"})"), 400, "key")) << key;
    EXPECT_TRUE(
        is_problem(call(Verb::delete_, std::string("/jobs/unit-test/secrets/") + key), 400, "key"))
        << key;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiSecretsTest, BadBodiesAre400AndStoreNothing) {
  auto before = observable_state("unit-test");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{}", "value"},
      {R"({"value":5})", "value"},
      {R"({"value":null})", "value"},
      {R"({"value":""})", "value"},
      {R"({"value":"abc"})", "value"}, // too short to be masked in consoles
      {R"({"value":"a\u0000b"})", "value"},
      {R"({"value":"x","extra":1})", "extra"},
      {R"({"value":"x","value":"y"})", "value"},
      {R"({"value":"xxxx"} trailing)", ""},
      {"not json", ""},
      {"", ""},
      {R"({"value":")" + std::string(64 * 1024 + 1, 'v') + R"("})", "value"},
  };
  for (const auto& [body, field] : bad) {
    EXPECT_TRUE(is_problem(put_secret("unit-test", "TOKEN", body), 400, field))
        << body.substr(0, 80);
  }
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiSecretsTest, UnknownJobIs404AndCreatesNothing) {
  auto before = observable_state("nope");
  EXPECT_TRUE(is_problem(put_secret("nope", "TOKEN", R"({"value":"xxxx"})"), 404));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/nope/secrets", {}, "read"), 404));
  EXPECT_EQ(observable_state("nope"), before);
}

} // namespace
} // namespace cicd::test

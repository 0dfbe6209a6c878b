// GET/PUT /settings: the console's log limit and the result retention beside the umbrella
// timeout; a bad member is 400 naming it and changes nothing; a job's own retention is checked.
#include "api_fixture.hpp"

namespace cicd::test {
namespace {

class ApiSettingsTest : public ApiTest {
protected:
  std::string settings() {
    auto read = call(Verb::get, "/settings", {}, "read");
    EXPECT_EQ(read.status, 200) << read.body;
    return read.body;
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiSettingsTest);

TEST_P(ApiSettingsTest, DefaultsThenChangesThenUnsetRetention) {
  EXPECT_EQ(settings(),
            R"({"umbrellaTimeout":"1h","consoleLimitMiB":100,"resultRetentionDays":null})");
  auto changed = call(Verb::put, "/settings", R"({"consoleLimitMiB":5,"resultRetentionDays":30})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  const std::string expected =
      R"({"umbrellaTimeout":"1h","consoleLimitMiB":5,"resultRetentionDays":30})";
  EXPECT_EQ(changed.body, expected);
  EXPECT_EQ(settings(), expected);
  auto unset = call(Verb::put, "/settings", R"({"resultRetentionDays":null})");
  EXPECT_EQ(unset.body,
            R"({"umbrellaTimeout":"1h","consoleLimitMiB":5,"resultRetentionDays":null})");
  EXPECT_TRUE(is_problem(call(Verb::put, "/settings", R"({"consoleLimitMiB":5})", "trigger"), 403));
}

TEST_P(ApiSettingsTest, BadValuesAre400NamingTheMemberAndChangeNothing) {
  ASSERT_EQ(call(Verb::put, "/settings", R"({"consoleLimitMiB":7})").status, 200);
  auto before = settings();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"consoleLimitMiB":0})", "consoleLimitMiB"},
      {R"({"consoleLimitMiB":102401})", "consoleLimitMiB"},
      {R"({"consoleLimitMiB":"5"})", "consoleLimitMiB"},
      {R"({"consoleLimitMiB":1.5})", "consoleLimitMiB"},
      {R"({"resultRetentionDays":0})", "resultRetentionDays"},
      {R"({"resultRetentionDays":36501})", "resultRetentionDays"},
      {R"({"resultRetentionDays":"30d"})", "resultRetentionDays"},
      // The first member is fine, the second is not: neither is stored.
      {R"({"resultRetentionDays":3,"consoleLimitMiB":-1})", "consoleLimitMiB"},
      {R"({"resultRetention":3})", "resultRetention"},
  };
  for (const auto& [body, field] : bad) {
    EXPECT_TRUE(is_problem(call(Verb::put, "/settings", body), 400, field)) << body;
  }
  EXPECT_EQ(settings(), before);
}

TEST_P(ApiSettingsTest, AJobsOwnRetentionIsCheckedAndKept) {
  const std::string job =
      R"({"type":"freestyle","image":"debian:12","script":"make","resultRetentionDays":)";
  auto created = call(Verb::put, "/jobs/kept", job + "7}");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.body.find(R"("resultRetentionDays":7)"), std::string::npos) << created.body;
  for (const auto* days : {"0", "-1", "36501", "\"7\""}) {
    EXPECT_TRUE(
        is_problem(call(Verb::put, "/jobs/bad", job + days + "}"), 400, "resultRetentionDays"))
        << days;
  }
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/bad", {}, "read"), 404));
}

} // namespace
} // namespace cicd::test

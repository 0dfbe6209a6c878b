// POST/GET /jobs/{job}/runs, GET …/runs/{id}, …/abort and …/rerun, through the real binary
// on both stores.
#include "api_fixture.hpp"

namespace cicd::test {
namespace {

// A queued run's document as GET serves it: POST's, with "queuePosition" before "href".
std::string with_queue_position(std::string document, int position) {
  auto at = document.find(",\"href\":");
  return at == std::string::npos
             ? document
             : document.insert(at, ",\"queuePosition\":" + std::to_string(position));
}

class ApiRunsTest : public ApiTest {
protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ASSERT_EQ(put_job("unit-test").status, 201);
  }

  std::string runs_of(std::string_view job) {
    return call(Verb::get, "/jobs/" + std::string(job) + "/runs?limit=200", {}, "read").body;
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiRunsTest);

const std::string k_sha_body = R"({"commitSha": ")" + std::string(k_zero_sha) + R"("})";

// The four curl lines of the README, as curl sends them (-d: a form content type).
TEST_P(ApiRunsTest, ReadmeCurlLinesWorkAsWritten) {
  HttpHeaders form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto job = call(Verb::put, "/jobs/readme", k_readme_job, "admin", form);
  EXPECT_EQ(job.status, 201) << job.body;

  auto by_commit = call(Verb::post, "/jobs/readme/runs", k_sha_body, "admin", form);
  ASSERT_EQ(by_commit.status, 201) << by_commit.body;
  auto commit_run = parse_json(by_commit.body);
  EXPECT_EQ(string_member(commit_run["trigger"], "commitSha"), k_zero_sha);

  auto by_branch =
      call(Verb::post, "/jobs/readme/runs", R"({"branchName": "master"})", "admin", form);
  ASSERT_EQ(by_branch.status, 201) << by_branch.body;
  auto branch_run = parse_json(by_branch.body);
  EXPECT_EQ(string_member(branch_run["trigger"], "branchName"), "master");
  EXPECT_NE(commit_run["id"].GetInt64(), branch_run["id"].GetInt64());

  auto location = by_branch.header("Location");
  EXPECT_EQ(location, "/jobs/readme/runs/" + std::to_string(branch_run["id"].GetInt64()));
  auto read = call(Verb::get, location, {}, "admin");
  EXPECT_EQ(read.status, 200);
  // GET adds where the queued run stands in its queue (the second of the two).
  EXPECT_EQ(read.body, with_queue_position(by_branch.body, 2));
}

TEST_P(ApiRunsTest, TriggerAnswers201WithTheQueuedRunAtOnce) {
  auto response = trigger("unit-test", k_sha_body);
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  auto run = parse_json(response.body);
  ASSERT_TRUE(run.IsObject());
  ASSERT_TRUE(run["id"].IsInt64());
  EXPECT_GT(run["id"].GetInt64(), 0);
  EXPECT_EQ(string_member(run, "job"), "unit-test");
  EXPECT_EQ(string_member(run, "status"), "queued");
  EXPECT_EQ(string_member(run["trigger"], "kind"), "api");
  EXPECT_EQ(string_member(run["trigger"], "commitSha"), k_zero_sha);
  EXPECT_TRUE(run["trigger"]["branchName"].IsNull());
  EXPECT_EQ(string_member(run["trigger"], "by"), "e2e-trigger");
  EXPECT_FALSE(string_member(run, "queuedAt").empty());
  EXPECT_TRUE(run["startedAt"].IsNull());
  EXPECT_TRUE(run["finishedAt"].IsNull());
  EXPECT_EQ(response.header("Location"), string_member(run, "href"));
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  EXPECT_FALSE(response.has_header("ETag"));
}

TEST_P(ApiRunsTest, UppercaseCommitIdsAreStoredLowercase) {
  auto response =
      trigger("unit-test", R"({"commitSha":"ABCDEF0123456789ABCDEF0123456789ABCDEF01"})");
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(string_member(parse_json(response.body)["trigger"], "commitSha"),
            "abcdef0123456789abcdef0123456789abcdef01");
}

TEST_P(ApiRunsTest, BadTriggersAre400NamingTheFieldAndStoreNothing) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"commitSha":"0000000000000000000000000000000000000000","branchName":"main"})",
       "branchName"},
      {"{}", "commitSha"},
      {"", "commitSha"},
      {R"({"commitSha":"000000000000000000000000000000000000000"})", "commitSha"},
      {R"({"commitSha":"000000000000000000000000000000000000000g"})", "commitSha"},
      {R"({"commitSha":5})", "commitSha"},
      {R"({"commitSha":null})", "commitSha"},
      {R"({"branchName":"a..b"})", "branchName"},
      {R"({"branchName":"-x"})", "branchName"},
      {R"({"branchName":"a b"})", "branchName"},
      {R"({"branchName":"main\nX-Injected: 1"})", "branchName"},
      {R"({"branchName":"ma\u0000in"})", "branchName"},
      {R"({"branchName":["main"]})", "branchName"},
      {R"({"branchName":"main","colour":"red"})", "colour"},
      {R"({"branchName":"main","branchName":"dev"})", "branchName"},
      {R"({"branchName":"main","parameters":{"X":1}})", "parameters.X"},
      {R"({"branchName":"main","parameters":"x"})", "parameters"},
      {R"({"branchName":"main"} trailing)", ""},
      {R"(["main"])", ""},
  };
  auto before = observable_state("unit-test");
  for (const auto& [body, field] : bad) {
    EXPECT_TRUE(is_problem(trigger("unit-test", body), 400, field)) << body;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiRunsTest, ParametersAreCheckedAndDefaultsFilled) {
  ASSERT_EQ(put_job("params", R"({"type":"freestyle","image":"a","script":"b","parameters":{
      "GREETING":{"type":"string","default":"hi"},
      "COUNT":{"type":"integer","required":true},
      "DEBUG":{"type":"bool","default":false},
      "TARGET":{"type":"choice","choices":["x86","arm"],"default":"x86"}}})")
                .status,
            201);
  auto before = observable_state("params");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({})", "parameters.COUNT"},
      {R"({"COUNT":"3"})", "parameters.COUNT"},
      {R"({"COUNT":1.5})", "parameters.COUNT"},
      {R"({"COUNT":1e30})", "parameters.COUNT"},
      {R"({"COUNT":9223372036854775808})", "parameters.COUNT"},
      {R"({"COUNT":3,"DEBUG":"yes"})", "parameters.DEBUG"},
      {R"({"COUNT":3,"TARGET":"mips"})", "parameters.TARGET"},
      {R"({"COUNT":3,"NOPE":1})", "parameters.NOPE"},
      {R"({"COUNT":3,"GREETING":"a\u0000b"})", "parameters.GREETING"},
  };
  for (const auto& [parameters, field] : bad) {
    EXPECT_TRUE(is_problem(
        trigger("params", R"({"branchName":"main","parameters":)" + parameters + "}"), 400, field))
        << parameters;
  }
  EXPECT_EQ(observable_state("params"), before);

  auto response =
      trigger("params", R"({"branchName":"main","parameters":{"COUNT":-9223372036854775808}})");
  ASSERT_EQ(response.status, 201) << response.body;
  auto parameters = parse_json(response.body)["parameters"].GetObject();
  EXPECT_EQ(std::string(parameters["GREETING"].GetString()), "hi");
  EXPECT_EQ(parameters["COUNT"].GetInt64(), INT64_MIN);
  EXPECT_FALSE(parameters["DEBUG"].GetBool());
  EXPECT_EQ(std::string(parameters["TARGET"].GetString()), "x86");
}

TEST_P(ApiRunsTest, GetRun) {
  auto created = trigger("unit-test", k_sha_body);
  ASSERT_EQ(created.status, 201);
  auto location = created.header("Location");
  auto read = call(Verb::get, location, {}, "read");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, with_queue_position(created.body, 1));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/unit-test/runs/999999", {}, "read"), 404));
  for (const auto* id : {"abc", "0", "-1", "1.0", "99999999999999999999999"}) {
    EXPECT_TRUE(is_problem(call(Verb::get, std::string("/jobs/unit-test/runs/") + id, {}, "read"),
                           400, "id"))
        << id;
  }
  // A run is found only under its own job.
  ASSERT_EQ(put_job("other").status, 201);
  auto id = std::to_string(parse_json(created.body)["id"].GetInt64());
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/other/runs/" + id, {}, "read"), 404));
}

TEST_P(ApiRunsTest, TriggeringAnUnknownJobIs404AndCreatesNothing) {
  auto before = observable_state("nope");
  EXPECT_TRUE(is_problem(trigger("nope", k_sha_body), 404));
  EXPECT_EQ(observable_state("nope"), before);
}

TEST_P(ApiRunsTest, ListIsNewestFirstAndPaginatesWithNextLinks) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(trigger_run("unit-test"));
  }
  std::vector<std::int64_t> seen;
  std::string next = "/jobs/unit-test/runs?limit=2";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    auto page = call(Verb::get, next, {}, "read");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.header("Cache-Control"), "no-store");
    auto document = parse_json(page.body);
    EXPECT_LE(document["items"].Size(), 2u);
    for (const auto& item : document["items"].GetArray()) {
      seen.push_back(item["id"].GetInt64());
    }
    next = document["next"].IsString() ? document["next"].GetString() : "";
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::vector<std::int64_t>(ids.rbegin(), ids.rend()));
}

TEST_P(ApiRunsTest, JobsListCarriesEachJobsNewestRun) {
  ASSERT_EQ(put_job("never-run").status, 201);
  trigger_run("unit-test");
  auto newest = trigger_run("unit-test");
  auto list = call(Verb::get, "/jobs", {}, "read");
  ASSERT_EQ(list.status, 200) << list.body;
  auto document = parse_json(list.body);
  ASSERT_EQ(document["items"].Size(), 2u);
  const auto& never = document["items"][0];
  EXPECT_EQ(string_member(never, "name"), "never-run");
  EXPECT_TRUE(never["lastRun"].IsNull());
  const auto& unit = document["items"][1];
  EXPECT_EQ(unit["lastRun"]["id"].GetInt64(), newest);
  EXPECT_EQ(string_member(unit["lastRun"], "status"), "queued");
  // The same document the runs list gives.
  auto runs = parse_json(call(Verb::get, "/jobs/unit-test/runs?limit=1", {}, "read").body);
  EXPECT_TRUE(unit["lastRun"] == runs["items"][0]) << list.body;
}

TEST_P(ApiRunsTest, ListFiltersByStatus) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(trigger_run("unit-test"));
  }
  for (auto id : {ids[0], ids[2]}) {
    ASSERT_EQ(
        call(Verb::post, "/jobs/unit-test/runs/" + std::to_string(id) + "/abort", {}, "trigger")
            .status,
        200);
  }
  auto ids_of = [&](const std::string& target) {
    std::vector<std::int64_t> found;
    auto response = call(Verb::get, target, {}, "read");
    EXPECT_EQ(response.status, 200) << response.body;
    for (const auto& item : parse_json(response.body)["items"].GetArray()) {
      found.push_back(item["id"].GetInt64());
    }
    return found;
  };
  EXPECT_EQ(ids_of("/jobs/unit-test/runs?status=aborted"), (std::vector{ids[2], ids[0]}));
  EXPECT_EQ(ids_of("/jobs/unit-test/runs?status=queued"), (std::vector{ids[3], ids[1]}));
  EXPECT_TRUE(ids_of("/jobs/unit-test/runs?status=succeeded").empty());
  // The next link keeps the filter.
  auto page = call(Verb::get, "/jobs/unit-test/runs?status=aborted&limit=1", {}, "read");
  auto next = string_member(parse_json(page.body), "next");
  EXPECT_NE(next.find("status=aborted"), std::string::npos) << next;
  EXPECT_EQ(ids_of(next), std::vector{ids[0]});
}

TEST_P(ApiRunsTest, BadListParametersAre400) {
  trigger_run("unit-test");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"after=abc", "after"}, {"after=-1", "after"},      {"after=0", "after"},
      {"after=1x", "after"},  {"limit=0", "limit"},       {"limit=abc", "limit"},
      {"limit=-5", "limit"},  {"status=bogus", "status"}, {"status=QUEUED", "status"},
  };
  for (const auto& [query, field] : bad) {
    EXPECT_TRUE(
        is_problem(call(Verb::get, "/jobs/unit-test/runs?" + query, {}, "read"), 400, field))
        << query;
  }
}

TEST_P(ApiRunsTest, HugeLimitIsClampedTo200) {
  constexpr int k_runs = 201;
  for (int i = 0; i < k_runs; ++i) {
    ASSERT_EQ(trigger("unit-test", R"({"branchName":"main"})").status, 201);
  }
  auto response = call(Verb::get, "/jobs/unit-test/runs?limit=1000000000", {}, "read");
  ASSERT_EQ(response.status, 200) << response.body;
  auto document = parse_json(response.body);
  EXPECT_EQ(document["items"].Size(), 200u);
  ASSERT_TRUE(document["next"].IsString());
  auto rest = call(Verb::get, document["next"].GetString(), {}, "read");
  EXPECT_EQ(parse_json(rest.body)["items"].Size(), 1u);
}

TEST_P(ApiRunsTest, AbortingAQueuedRunFinishesIt) {
  auto id = trigger_run("unit-test");
  auto target = "/jobs/unit-test/runs/" + std::to_string(id);
  auto aborted = call(Verb::post, target + "/abort", {}, "trigger");
  ASSERT_EQ(aborted.status, 200) << aborted.body;
  auto run = parse_json(aborted.body);
  EXPECT_EQ(string_member(run, "status"), "aborted");
  EXPECT_FALSE(string_member(run, "finishedAt").empty());
  EXPECT_FALSE(string_member(run, "reason").empty());
  EXPECT_TRUE(run["startedAt"].IsNull());

  auto before = observable_state("unit-test");
  EXPECT_TRUE(is_problem(call(Verb::post, target + "/abort", {}, "trigger"), 409));
  EXPECT_EQ(observable_state("unit-test"), before);
  EXPECT_TRUE(
      is_problem(call(Verb::post, "/jobs/unit-test/runs/999999/abort", {}, "trigger"), 404));
}

TEST_P(ApiRunsTest, RerunStartsANewRunWithTheSameCommitAndParameters) {
  ASSERT_EQ(put_job("params", R"({"type":"freestyle","image":"a","script":"b",
      "parameters":{"N":{"type":"integer","default":1}}})")
                .status,
            201);
  auto first = trigger("params", R"({"branchName":"release/1.x","parameters":{"N":7}})");
  ASSERT_EQ(first.status, 201);
  auto original = parse_json(first.body);
  auto id = original["id"].GetInt64();
  ASSERT_EQ(
      call(Verb::post, "/jobs/params/runs/" + std::to_string(id) + "/abort", {}, "trigger").status,
      200);

  auto rerun = call(Verb::post, "/jobs/params/runs/" + std::to_string(id) + "/rerun", {}, "admin");
  ASSERT_EQ(rerun.status, 201) << rerun.body;
  auto run = parse_json(rerun.body);
  EXPECT_NE(run["id"].GetInt64(), id);
  EXPECT_EQ(rerun.header("Location"), string_member(run, "href"));
  EXPECT_EQ(string_member(run, "status"), "queued");
  EXPECT_EQ(string_member(run["trigger"], "kind"), "rerun");
  EXPECT_EQ(run["trigger"]["rerunOf"].GetInt64(), id);
  EXPECT_EQ(string_member(run["trigger"], "branchName"), "release/1.x");
  EXPECT_EQ(string_member(run["trigger"], "by"), "e2e-admin");
  EXPECT_EQ(run["parameters"]["N"].GetInt64(), 7);

  auto commit_run = trigger_run("unit-test");
  auto again = call(Verb::post, "/jobs/unit-test/runs/" + std::to_string(commit_run) + "/rerun", {},
                    "trigger");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(string_member(parse_json(again.body)["trigger"], "commitSha"), k_zero_sha);

  auto before = observable_state("unit-test");
  EXPECT_TRUE(
      is_problem(call(Verb::post, "/jobs/unit-test/runs/999999/rerun", {}, "trigger"), 404));
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiRunsTest, RerunIs409WhenTheParametersNoLongerFit) {
  ASSERT_EQ(put_job("params", R"({"type":"freestyle","image":"a","script":"b",
      "parameters":{"ARCH":{"type":"choice","choices":["x86","arm"]}}})")
                .status,
            201);
  auto first = trigger("params", R"({"branchName":"main","parameters":{"ARCH":"arm"}})");
  ASSERT_EQ(first.status, 201);
  auto id = parse_json(first.body)["id"].GetInt64();
  ASSERT_EQ(put_job("params", R"({"type":"freestyle","image":"a","script":"b",
      "parameters":{"ARCH":{"type":"choice","choices":["x86"]}}})")
                .status,
            200);
  auto before = observable_state("params");
  EXPECT_TRUE(is_problem(
      call(Verb::post, "/jobs/params/runs/" + std::to_string(id) + "/rerun", {}, "trigger"), 409,
      "parameters.ARCH"));
  EXPECT_EQ(observable_state("params"), before);
}

TEST_P(ApiRunsTest, IdempotencyKeyReturnsTheSameRun) {
  HttpHeaders key = {{"Idempotency-Key", "7d0b4f0e-3b6c-4d2a-9a35-2f1a0c6e9b11"}};
  auto first = trigger("unit-test", k_sha_body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_FALSE(first.has_header("Idempotent-Replayed"));
  auto replay = trigger("unit-test", k_sha_body, key);
  EXPECT_EQ(replay.status, 201) << replay.body;
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(replay.header("Location"), first.header("Location"));
  EXPECT_EQ(replay.body, first.body);

  auto before = observable_state("unit-test");
  EXPECT_TRUE(is_problem(trigger("unit-test", R"({"branchName":"main"})", key), 422));
  EXPECT_EQ(observable_state("unit-test"), before);
  EXPECT_EQ(parse_json(runs_of("unit-test"))["items"].Size(), 1u);

  // The key belongs to the job: the same key elsewhere starts that job's own run.
  ASSERT_EQ(put_job("other").status, 201);
  auto other = trigger("other", k_sha_body, key);
  EXPECT_EQ(other.status, 201);
  EXPECT_FALSE(other.has_header("Idempotent-Replayed"));
}

TEST_P(ApiRunsTest, MalformedIdempotencyKeyIs400AndStoresNothing) {
  auto before = observable_state("unit-test");
  for (const auto& key :
       {std::string("has space"), std::string(256, 'k'), std::string("tab\there")}) {
    EXPECT_TRUE(is_problem(trigger("unit-test", k_sha_body, {{"Idempotency-Key", key}}), 400,
                           "Idempotency-Key"))
        << key;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiRunsTest, OnlyTerminalRunsAreCacheable) {
  auto queued = trigger("unit-test", k_sha_body);
  ASSERT_EQ(queued.status, 201);
  auto target = queued.header("Location");
  auto read = call(Verb::get, target, {}, "read", {{"If-None-Match", "*"}});
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.header("Cache-Control"), "no-store");
  EXPECT_FALSE(read.has_header("ETag"));

  ASSERT_EQ(call(Verb::post, target + "/abort", {}, "trigger").status, 200);
  auto finished = call(Verb::get, target, {}, "read");
  ASSERT_EQ(finished.status, 200);
  auto etag = finished.header("ETag");
  EXPECT_FALSE(etag.empty());
  EXPECT_NE(finished.header("Cache-Control").find("max-age="), std::string::npos)
      << finished.header("Cache-Control");
  auto not_modified = call(Verb::get, target, {}, "read", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.header("ETag"), etag);
  auto other = call(Verb::get, target, {}, "read", {{"If-None-Match", "\"abc\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, finished.body);
}

} // namespace
} // namespace cicd::test

// PUT/GET/DELETE /jobs/{job} and GET /jobs, through the real binary on both stores.
#include "api_fixture.hpp"

#include <regex>
#include <set>

namespace cicd::test {
namespace {

class ApiJobsTest : public ApiTest {};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiJobsTest);

constexpr std::string_view k_job_with_parameters =
    R"({"type":"freestyle","image":"debian:12","script":["make","make test"],)"
    R"("env":{"LANG":"C"},"timeout":"30m",)"
    R"("parameters":{"COUNT":{"type":"integer","default":3}}})";

TEST_P(ApiJobsTest, PutCreatesThenAnswers200WhetherChangedOrNot) {
  auto created = put_job("unit-test");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.header("Content-Type"), "application/json");
  EXPECT_EQ(created.header("Location"), "/jobs/unit-test");
  auto document = parse_json(created.body);
  EXPECT_EQ(string_member(document, "name"), "unit-test");
  EXPECT_EQ(string_member(document, "type"), "freestyle");
  EXPECT_EQ(string_member(document, "image"), "debian:12");
  EXPECT_EQ(string_member(document, "script"), "make test");
  auto etag = string_member(document, "etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(created.header("ETag"), "\"" + etag + "\"");

  auto unchanged = put_job("unit-test");
  EXPECT_EQ(unchanged.status, 200) << unchanged.body;
  EXPECT_EQ(unchanged.header("ETag"), created.header("ETag"));
  EXPECT_FALSE(unchanged.has_header("Location"));

  auto changed = put_job("unit-test", k_job_with_parameters);
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_NE(changed.header("ETag"), created.header("ETag"));
  auto changed_document = parse_json(changed.body);
  EXPECT_EQ(string_member(changed_document, "script"), "make\nmake test");
  EXPECT_EQ(string_member(changed_document, "createdAt"), string_member(document, "createdAt"));

  auto read = call(Verb::get, "/jobs/unit-test", {}, "read");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, changed.body);
  EXPECT_EQ(read.header("ETag"), changed.header("ETag"));
}

TEST_P(ApiJobsTest, GetWithCurrentIfNoneMatchIs304) {
  auto created = put_job("unit-test");
  ASSERT_EQ(created.status, 201);
  auto etag = created.header("ETag");
  auto not_modified = call(Verb::get, "/jobs/unit-test", {}, "read", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.header("ETag"), etag);

  auto stale = call(Verb::get, "/jobs/unit-test", {}, "read",
                    {{"If-None-Match", "\"0123456789abcdef0123456789abcdef\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, created.body);
}

TEST_P(ApiJobsTest, StaleIfMatchIs412AndChangesNothing) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  auto before = observable_state("unit-test");
  auto stale = put_job("unit-test", k_job_with_parameters,
                       {{"If-Match", "\"0123456789abcdef0123456789abcdef\""}});
  EXPECT_TRUE(is_problem(stale, 412));
  EXPECT_EQ(observable_state("unit-test"), before);

  auto stale_delete = call(Verb::delete_, "/jobs/unit-test", {}, "admin",
                           {{"If-Match", "\"0123456789abcdef0123456789abcdef\""}});
  EXPECT_TRUE(is_problem(stale_delete, 412));
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiJobsTest, CurrentIfMatchUpdates) {
  auto created = put_job("unit-test");
  ASSERT_EQ(created.status, 201);
  auto updated =
      put_job("unit-test", k_job_with_parameters, {{"If-Match", created.header("ETag")}});
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_NE(updated.header("ETag"), created.header("ETag"));
}

TEST_P(ApiJobsTest, IfNoneMatchStarCreatesOnlyOnce) {
  auto created = put_job("unit-test", k_readme_job, {{"If-None-Match", "*"}});
  EXPECT_EQ(created.status, 201) << created.body;
  auto before = observable_state("unit-test");
  auto again = put_job("unit-test", k_job_with_parameters, {{"If-None-Match", "*"}});
  EXPECT_TRUE(is_problem(again, 412));
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiJobsTest, IfMatchOnAMissingJobIs412AndCreatesNothing) {
  auto before = observable_state("ghost");
  auto response = put_job("ghost", k_readme_job, {{"If-Match", "\"0123456789abcdef\""}});
  EXPECT_TRUE(is_problem(response, 412));
  EXPECT_EQ(observable_state("ghost"), before);
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/ghost", {}, "read"), 404));
}

TEST_P(ApiJobsTest, DeleteRemovesTheJobWithItsRunsOnceNoneIsActive) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  auto id = trigger_run("unit-test");
  auto before = observable_state("unit-test");
  // A queued run keeps the job: 409, nothing deleted.
  EXPECT_TRUE(is_problem(call(Verb::delete_, "/jobs/unit-test"), 409));
  EXPECT_EQ(observable_state("unit-test"), before);

  auto runs = "/jobs/unit-test/runs/" + std::to_string(id);
  ASSERT_EQ(call(Verb::post, runs + "/abort", {}, "trigger").status, 200);
  auto deleted = call(Verb::delete_, "/jobs/unit-test");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/unit-test", {}, "read"), 404));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/unit-test/runs", {}, "read"), 404));
  EXPECT_TRUE(is_problem(call(Verb::get, runs, {}, "read"), 404));
  EXPECT_TRUE(is_problem(call(Verb::delete_, "/jobs/unit-test"), 404));
}

TEST_P(ApiJobsTest, UnknownJobIs404) {
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/nope", {}, "read"), 404));
  EXPECT_TRUE(is_problem(call(Verb::delete_, "/jobs/nope"), 404));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/nope/runs", {}, "read"), 404));
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/nope/runs/1", {}, "read"), 404));
}

TEST_P(ApiJobsTest, ListPaginatesByNameWithNextLinks) {
  std::set<std::string> names = {"delta", "alpha", "echo", "charlie", "bravo"};
  for (const auto& name : names) {
    ASSERT_EQ(put_job(name).status, 201);
  }
  std::vector<std::string> seen;
  std::string next = "/jobs?limit=2";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    auto page = call(Verb::get, next, {}, "read");
    ASSERT_EQ(page.status, 200) << page.body;
    auto document = parse_json(page.body);
    ASSERT_TRUE(document.IsObject() && document["items"].IsArray());
    EXPECT_LE(document["items"].Size(), 2u);
    for (const auto& item : document["items"].GetArray()) {
      seen.push_back(string_member(item, "name"));
    }
    next = document["next"].IsString() ? document["next"].GetString() : "";
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::vector<std::string>(names.begin(), names.end())); // by name, no repeat
}

TEST_P(ApiJobsTest, HugeLimitIsClamped) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  for (const auto* limit : {"1000000000", "99999999999999999999999"}) {
    auto response = call(Verb::get, std::string("/jobs?limit=") + limit, {}, "read");
    ASSERT_EQ(response.status, 200) << limit << ": " << response.body;
    auto document = parse_json(response.body);
    EXPECT_EQ(document["items"].Size(), 1u);
    EXPECT_TRUE(document["next"].IsNull());
  }
}

TEST_P(ApiJobsTest, BadLimitIs400) {
  for (const auto* limit : {"0", "-1", "abc", "1.5", ""}) {
    EXPECT_TRUE(
        is_problem(call(Verb::get, std::string("/jobs?limit=") + limit, {}, "read"), 400, "limit"))
        << "limit=" << limit;
  }
}

// A cursor that cannot be a job name was not produced by the API: it is tampered with.
TEST_P(ApiJobsTest, TamperedCursorIs400) {
  for (const auto* after : {"%00", "..%2Fx", "NOT%20A%20NAME"}) {
    EXPECT_TRUE(
        is_problem(call(Verb::get, std::string("/jobs?after=") + after, {}, "read"), 400, "after"))
        << "after=" << after;
  }
}

TEST_P(ApiJobsTest, BadJobNamesAre400AndCreateNothing) {
  auto before = call(Verb::get, "/jobs", {}, "read").body;
  for (const auto* name : {"%2e%2e", "%2e%2e%2fetc", "..%2F..%2Fetc%2Fpasswd", "a%00b", "a%0Ab",
                           "a%0D%0AX-Injected:%201", "UPPER", "-dash", "a%20b", "a%3Db",
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    auto target = std::string("/jobs/") + name;
    EXPECT_TRUE(is_problem(call(Verb::put, target, k_readme_job), 400, "job")) << target;
    EXPECT_TRUE(is_problem(call(Verb::get, target, {}, "read"), 400, "job")) << target;
    EXPECT_TRUE(is_problem(trigger(name, R"({"branchName":"main"})"), 400, "job")) << target;
  }
  EXPECT_EQ(call(Verb::get, "/jobs", {}, "read").body, before);
}

TEST_P(ApiJobsTest, NameInTheBodyMustMatchThePath) {
  auto before = observable_state("unit-test");
  auto response =
      put_job("unit-test", R"({"name":"other","type":"freestyle","image":"a","script":"b"})");
  EXPECT_TRUE(is_problem(response, 400, "name"));
  EXPECT_EQ(observable_state("unit-test"), before);
}

// Each bad body is sent both to a new name (nothing may be created) and to an existing job
// (nothing may change).
struct BadBody {
  std::string description;
  std::string body;
  std::string field; // empty: the problem names a byte position or a limit instead
};

std::vector<BadBody> bad_job_bodies() {
  std::string deep(10000, '[');
  return {
      {"nesting 10,000 deep", R"({"type":"freestyle","image":"a","script":)" + deep, ""},
      {"nesting 10,000 deep in objects",
       [] {
         std::string text;
         for (int i = 0; i < 10000; ++i) {
           text += R"({"a":)";
         }
         return text;
       }(),
       ""},
      {"a duplicate key", R"({"type":"freestyle","image":"a","script":"b","image":"c"})", "image"},
      {"a duplicate nested key",
       R"({"type":"freestyle","image":"a","script":"b","env":{"A":"1","A":"2"}})", "env.A"},
      {"trailing bytes", R"({"type":"freestyle","image":"a","script":"b"} {})", ""},
      {"truncated JSON", R"({"type":"freestyle","image":)", ""},
      {"not an object", R"(["freestyle"])", ""},
      {"an empty body", "", ""},
      {"invalid UTF-8", "{\"type\":\"freestyle\",\"image\":\"a\",\"script\":\"\xff\xfe\"}", ""},
      {"image of the wrong type", R"({"type":"freestyle","image":5,"script":"b"})", "image"},
      {"script of the wrong type", R"({"type":"freestyle","image":"a","script":{}})", "script"},
      {"an env value of the wrong type",
       R"({"type":"freestyle","image":"a","script":"b","env":{"A":1}})", "env.A"},
      {"type of the wrong type", R"({"type":true,"image":"a","script":"b"})", "type"},
      {"an unknown type", R"({"type":"shell","image":"a","script":"b"})", "type"},
      {"a missing image", R"({"type":"freestyle","script":"b"})", "image"},
      {"an unknown member", R"({"type":"freestyle","image":"a","script":"b","colour":"red"})",
       "colour"},
      {"a port out of range",
       R"({"type":"freestyle","image":"a","script":"b","services":{"db":{"image":"p","port":70000}}})",
       "services.db.port"},
      {"a port beyond 64 bits",
       R"({"type":"freestyle","image":"a","script":"b","services":{"db":{"image":"p","port":99999999999999999999999}}})",
       "services.db.port"},
      {"a number beyond a double",
       R"({"type":"freestyle","image":"a","script":"b","services":{"db":{"image":"p","port":1e400}}})",
       ""},
      {"an integer default beyond 64 bits",
       R"({"type":"freestyle","image":"a","script":"b","parameters":{"N":{"type":"integer","default":9223372036854775808}}})",
       "parameters.N.default"},
      {"a fractional integer default",
       R"({"type":"freestyle","image":"a","script":"b","parameters":{"N":{"type":"integer","default":1.5}}})",
       "parameters.N.default"},
      {"a bad duration", R"({"type":"freestyle","image":"a","script":"b","timeout":"forever"})",
       "timeout"},
      {"an env name with '='", R"({"type":"freestyle","image":"a","script":"b","env":{"A=B":"1"}})",
       "env.A=B"},
      {"an env name with a newline",
       R"({"type":"freestyle","image":"a","script":"b","env":{"A\nB":"1"}})", "env.A\nB"},
      {"the reserved env name PATH",
       R"({"type":"freestyle","image":"a","script":"b","env":{"PATH":"/tmp"}})", "env.PATH"},
      {"a reserved CICD_ env name",
       R"({"type":"freestyle","image":"a","script":"b","env":{"CICD_X":"1"}})", "env.CICD_X"},
      {"a reserved parameter name",
       R"({"type":"freestyle","image":"a","script":"b","parameters":{"CICD_P":{"type":"string"}}})",
       "parameters.CICD_P"},
      {"a reserved secret name",
       R"({"type":"freestyle","image":"a","script":"b","secrets":["TOKEN","PATH"]})", "secrets[1]"},
      {"a NUL in a string", R"({"type":"freestyle","image":"a","script":"b\u0000c"})", "script"},
      {"a result path with ..",
       R"({"type":"freestyle","image":"a","script":"b","results":{"r":{"path":"../../etc"}}})",
       "results.r.path"},
      {"an absolute result path",
       R"({"type":"freestyle","image":"a","script":"b","results":{"r":{"path":"/etc/passwd"}}})",
       "results.r.path"},
      {"a git URL with a password", R"({"type":"git","repoUrl":"https://u:pw@example.com/r.git"})",
       "repoUrl"},
      {"a git config path with ..",
       R"({"type":"git","repoUrl":"https://example.com/r.git","configPath":"../x.yml"})",
       "configPath"},
  };
}

TEST_P(ApiJobsTest, BadJsonIs400NamingTheFieldOrPositionAndStoresNothing) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  for (const auto& bad : bad_job_bodies()) {
    SCOPED_TRACE(bad.description);
    for (const auto* name : {"unit-test", "fresh"}) {
      auto before = observable_state(name);
      auto response = put_job(name, bad.body);
      EXPECT_TRUE(is_problem(response, 400, bad.field)) << name;
      EXPECT_EQ(observable_state(name), before) << name;
    }
  }
}

TEST_P(ApiJobsTest, SyntaxErrorsNameTheBytePosition) {
  auto response = put_job("unit-test", R"({"type":"freestyle","image":"a","script":"b"} x)");
  ASSERT_TRUE(is_problem(response, 400));
  auto detail = string_member(parse_json(response.body), "detail");
  EXPECT_TRUE(std::regex_search(detail, std::regex("byte 4[0-9]"))) << detail;

  response = put_job("unit-test", R"({"type": "freestyle", oops})");
  ASSERT_TRUE(is_problem(response, 400));
  detail = string_member(parse_json(response.body), "detail");
  EXPECT_TRUE(std::regex_search(detail, std::regex("byte 2[0-9]"))) << detail;
}

TEST_P(ApiJobsTest, IsolationEscapesAreRefusedWithTheReason) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  const std::vector<std::pair<std::string, std::string>> escapes = {
      {R"("privileged":true)", "privileged"},
      {R"("volumes":["/:/host"])", "volumes"},
      {R"("capAdd":["SYS_ADMIN"])", "capAdd"},
      {R"("devices":["/dev/kvm"])", "devices"},
      {R"("networkMode":"host")", "networkMode"},
      {R"("mounts":[{"source":"/var/run/docker.sock"}])", "mounts"},
      {R"("services":{"db":{"image":"p","privileged":true}})", "services.db.privileged"},
  };
  for (const auto& [member, field] : escapes) {
    SCOPED_TRACE(member);
    for (const auto* name : {"unit-test", "fresh"}) {
      auto before = observable_state(name);
      auto response =
          put_job(name, R"({"type":"freestyle","image":"a","script":"b",)" + member + "}");
      ASSERT_TRUE(is_problem(response, 400, field));
      auto detail = string_member(parse_json(response.body), "detail");
      EXPECT_NE(detail.find("refused"), std::string::npos) << detail;
      EXPECT_EQ(observable_state(name), before);
    }
  }
}

TEST_P(ApiJobsTest, GitJobGetsItsDefaults) {
  auto response = put_job("from-git", R"({"type":"git","repoUrl":"https://example.com/r.git"})");
  ASSERT_EQ(response.status, 201) << response.body;
  auto document = parse_json(response.body);
  EXPECT_EQ(string_member(document, "type"), "git");
  EXPECT_EQ(string_member(document, "configPath"), ".cicd.yml");
}

} // namespace
} // namespace cicd::test

// PUT/GET/DELETE /settings/resource-classes/{name}, GET /settings/resource-classes, and the
// trigger of a job whose class is not defined, through the real binary on both stores.
#include "api_fixture.hpp"

#include <utility>
#include <vector>

namespace cicd::test {
namespace {

constexpr std::string_view k_classes = "/settings/resource-classes";
constexpr std::string_view k_gpu_job =
    R"({"type":"freestyle","image":"debian:12","script":"make test","resourceClass":"gpu"})";
const std::string k_default_document =
    R"({"name":"default","cpus":1,"memoryMiB":2048,"href":"/settings/resource-classes/default"})";

class ApiResourceClassesTest : public ApiTest {
protected:
  HttpResponse put_class(std::string_view name, std::string_view body,
                         const std::string& scope = "admin") {
    return call(Verb::put, path(name), body, scope);
  }
  HttpResponse get_class(std::string_view name) { return call(Verb::get, path(name), {}, "read"); }
  std::string list() {
    auto listed = call(Verb::get, k_classes, {}, "read");
    EXPECT_EQ(listed.status, 200) << listed.body;
    return listed.body;
  }
  static std::string path(std::string_view name) {
    return std::string(k_classes) + "/" + std::string(name);
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiResourceClassesTest);

TEST_P(ApiResourceClassesTest, PutGetListDelete) {
  EXPECT_EQ(list(), R"({"items":[)" + k_default_document + "]}");

  auto created = put_class("large", R"({"cpus": 2, "memoryMiB": 4096})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.header("Content-Type"), "application/json");
  EXPECT_EQ(created.header("Location"), "/settings/resource-classes/large");
  EXPECT_EQ(created.body, R"({"name":"large","cpus":2,"memoryMiB":4096,)"
                          R"("href":"/settings/resource-classes/large"})");

  auto replaced = put_class("large", R"({"memoryMiB": 64, "cpus": 0.5, "name": "large"})");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_FALSE(replaced.has_header("Location"));
  const std::string large = R"({"name":"large","cpus":0.5,"memoryMiB":64,)"
                            R"("href":"/settings/resource-classes/large"})";
  EXPECT_EQ(replaced.body, large);
  auto read = get_class("large");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, large);

  ASSERT_EQ(put_class("a-small_1", R"({"cpus": 1, "memoryMiB": 6})").status, 201);
  EXPECT_EQ(list(), R"({"items":[{"name":"a-small_1","cpus":1,"memoryMiB":6,)"
                    R"("href":"/settings/resource-classes/a-small_1"},)" +
                        k_default_document + "," + large + "]}");

  auto deleted = call(Verb::delete_, path("large"));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  auto gone = get_class("large");
  EXPECT_TRUE(is_problem(gone, 404));
  EXPECT_EQ(string_member(parse_json(gone.body), "detail"),
            "there is no resource class 'large': PUT /settings/resource-classes/large defines it");
  EXPECT_TRUE(is_problem(call(Verb::delete_, path("large")), 404));
  EXPECT_TRUE(is_problem(call(Verb::delete_, path("never")), 404));
  EXPECT_EQ(list().find("\"large\""), std::string::npos);
}

TEST_P(ApiResourceClassesTest, DefaultExistsUntilChangedAndDeleteRestoresIt) {
  auto builtin = get_class("default");
  ASSERT_EQ(builtin.status, 200) << builtin.body;
  EXPECT_EQ(builtin.body, k_default_document);

  auto changed = put_class("default", R"({"cpus": 0.25, "memoryMiB": 512})");
  EXPECT_EQ(changed.status, 200) << changed.body; // it existed already
  const std::string quarter = R"({"name":"default","cpus":0.25,"memoryMiB":512,)"
                              R"("href":"/settings/resource-classes/default"})";
  EXPECT_EQ(get_class("default").body, quarter);
  EXPECT_EQ(list(), R"({"items":[)" + quarter + "]}");

  EXPECT_EQ(call(Verb::delete_, path("default")).status, 204);
  EXPECT_EQ(get_class("default").body, k_default_document);
  EXPECT_EQ(call(Verb::delete_, path("default")).status, 204); // still the built-in one
  EXPECT_EQ(list(), R"({"items":[)" + k_default_document + "]}");
}

TEST_P(ApiResourceClassesTest, BadInputIs400NamingTheFieldAndStoresNothing) {
  ASSERT_EQ(put_class("large", R"({"cpus": 2, "memoryMiB": 4096})").status, 201);
  auto before = list();
  const std::vector<std::pair<std::string, std::string>> bad_bodies = {
      {R"({"memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1})", "memoryMiB"},
      {R"({"cpus": "2", "memoryMiB": 64})", "cpus"},
      {R"({"cpus": true, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 0, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": -0.5, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 0.001, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1025, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1, "memoryMiB": 64.5})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": "64"})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 5})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 16777217})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 64, "gpus": 1})", "gpus"},
      {R"({"cpus": 1, "memoryMiB": 64, "name": "small"})", "name"},
  };
  for (const auto& [body, field] : bad_bodies) {
    for (const auto* name : {"large", "fresh"}) {
      EXPECT_TRUE(is_problem(put_class(name, body), 400, field)) << name << " " << body;
    }
  }
  EXPECT_TRUE(is_problem(put_class("large", "{\"cpus\": 1,"), 400));
  EXPECT_TRUE(is_problem(put_class("large", "[]"), 400));
  EXPECT_TRUE(is_problem(put_class("large", ""), 400));
  for (const auto* name : {"Large", "-x", "a.b", "a%20b"}) {
    EXPECT_TRUE(is_problem(put_class(name, R"({"cpus": 1, "memoryMiB": 64})"), 400, "name"))
        << name;
    EXPECT_TRUE(is_problem(call(Verb::get, path(name), {}, "read"), 400, "name")) << name;
    EXPECT_TRUE(is_problem(call(Verb::delete_, path(name)), 400, "name")) << name;
  }
  EXPECT_TRUE(
      is_problem(put_class(std::string(65, 'a'), R"({"cpus": 1, "memoryMiB": 64})"), 400, "name"));

  auto exact = put_class("large", R"({"cpus": 2048, "memoryMiB": 64})");
  EXPECT_EQ(string_member(parse_json(exact.body), "detail"),
            "'cpus' must be a number of CPUs from 0.01 to 1024: fractions are allowed (0.5 is "
            "half a CPU)");
  exact = put_class("large", R"({"cpus": 1, "memoryMiB": 1})");
  EXPECT_EQ(string_member(parse_json(exact.body), "detail"),
            "'memoryMiB' must be a whole number of MiB from 6 (Docker's minimum) to 16777216 (16 "
            "TiB)");
  exact = put_class("large", R"({"cpus": 1})");
  EXPECT_EQ(string_member(parse_json(exact.body), "detail"),
            "'memoryMiB' is required: the memory a run of this class may use in MiB, like 4096");

  EXPECT_EQ(list(), before);
  EXPECT_TRUE(is_problem(get_class("fresh"), 404));
}

TEST_P(ApiResourceClassesTest, ChangingClassesNeedsAdmin) {
  auto before = list();
  for (const auto* scope : {"read", "trigger"}) {
    EXPECT_TRUE(is_problem(put_class("large", R"({"cpus": 2, "memoryMiB": 64})", scope), 403))
        << scope;
    EXPECT_TRUE(is_problem(put_class("default", R"({"cpus": 2, "memoryMiB": 64})", scope), 403))
        << scope;
    EXPECT_TRUE(is_problem(call(Verb::delete_, path("default"), {}, scope), 403)) << scope;
  }
  EXPECT_EQ(list(), before);
  ASSERT_EQ(put_class("large", R"({"cpus": 2, "memoryMiB": 64})").status, 201);
  EXPECT_TRUE(is_problem(call(Verb::delete_, path("large"), {}, "trigger"), 403));
  EXPECT_EQ(get_class("large").status, 200);
  EXPECT_TRUE(is_problem(call(Verb::get, k_classes, {}, ""), 401));
}

TEST_P(ApiResourceClassesTest, TriggeringAJobOfAnUndefinedClassIs422AndCreatesNoRun) {
  ASSERT_EQ(put_job("gpu-job", k_gpu_job).status, 201);
  auto before = observable_state("gpu-job");
  auto refused = trigger("gpu-job", R"({"branchName": "main"})");
  EXPECT_TRUE(is_problem(refused, 422, "resourceClass"));
  EXPECT_EQ(string_member(parse_json(refused.body), "detail"),
            "resource class 'gpu' is not defined: PUT /settings/resource-classes/gpu first");
  EXPECT_EQ(observable_state("gpu-job"), before);

  ASSERT_EQ(put_class("gpu", R"({"cpus": 1, "memoryMiB": 1024})").status, 201);
  auto id = trigger_run("gpu-job");
  ASSERT_GT(id, 0);

  // Deleted again: neither a new trigger nor a rerun is accepted.
  ASSERT_EQ(call(Verb::delete_, path("gpu")).status, 204);
  before = observable_state("gpu-job");
  EXPECT_TRUE(is_problem(trigger("gpu-job", R"({"branchName": "main"})"), 422, "resourceClass"));
  EXPECT_TRUE(is_problem(
      call(Verb::post, "/jobs/gpu-job/runs/" + std::to_string(id) + "/rerun", {}, "trigger"), 422,
      "resourceClass"));
  EXPECT_EQ(observable_state("gpu-job"), before);

  // A job of the default class needs no definition.
  ASSERT_EQ(put_job("plain").status, 201);
  EXPECT_GT(trigger_run("plain"), 0);
}

} // namespace
} // namespace cicd::test

// Issue 11, security tests of what the master stores, on both stores: no secret value (job
// secrets, a connection's webhook secret and status token) is in the database in plaintext,
// hex or base64 — the SQLite files' bytes, a pg_dump of every table — and SQL metacharacters in
// any field are either refused naming the field or stored and read back byte-exact, with every
// table still there.
#include "api_fixture.hpp"

#include "support/jwt_forge.hpp"
#include "support/s3_test_server.hpp" // run_program

#include <fmt/format.h>

#include <rapidjson/pointer.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace cicd::test {
namespace {
namespace fs = std::filesystem;

class SecurityStorageTest : public ApiTest {
protected:
  // Every byte the store holds, as text: the SQLite files, or a pg_dump of the database.
  std::string database_bytes() {
    if (GetParam() == "sqlite") {
      std::string bytes;
      for (const auto& entry : fs::recursive_directory_iterator(master().root_dir())) {
        auto name = entry.path().filename().string();
        if (entry.is_regular_file() && name.find(".db") != std::string::npos) {
          std::ifstream in(entry.path(), std::ios::binary);
          std::ostringstream content;
          content << in.rdbuf();
          bytes += content.str();
        }
      }
      return bytes;
    }
    auto dump = run_program({"pg_dump", "--data-only", "--dbname=" + master().db_url()});
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    return dump.out;
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(SecurityStorageTest);

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += fmt::format("{:02x}", c);
  }
  return out;
}

std::string canary(std::string_view what) {
  std::random_device random;
  return fmt::format("canary-{}-{:08x}{:08x}", what, random(), random());
}

TEST_P(SecurityStorageTest, NoSecretValueIsInTheDatabaseInPlaintextHexOrBase64) {
  auto secret = canary("secret");
  auto hook_secret = canary("hook");
  auto status_token = canary("status");
  ASSERT_EQ(put_job("vault", R"({"type":"freestyle","image":"a","script":"b",
      "secrets":["DEPLOY_TOKEN"]})")
                .status,
            201);
  ASSERT_EQ(call(Verb::put, "/jobs/vault/secrets/DEPLOY_TOKEN", R"({"value":")" + secret + R"("})")
                .status,
            201);
  auto integration =
      call(Verb::put, "/integrations/github/acme",
           fmt::format(R"({{"webhookSecret":"{}","token":"{}","apiUrl":"http://127.0.0.1:9"}})",
                       hook_secret, status_token));
  ASSERT_EQ(integration.status, 201) << integration.body;
  trigger_run("vault");

  auto bytes = database_bytes();
  // The dump did read the tables: the names are there, only the values are not.
  EXPECT_NE(bytes.find("DEPLOY_TOKEN"), std::string::npos);
  EXPECT_NE(bytes.find("vault"), std::string::npos);
  EXPECT_NE(bytes.find("acme"), std::string::npos);
  for (const auto& value : {secret, hook_secret, status_token}) {
    for (const auto& form : {value, hex(value), base64url(value)}) {
      EXPECT_EQ(bytes.find(form), std::string::npos) << form << " of " << value;
    }
  }
}

// A field of a job definition holding `value`, and where GET /jobs/{job} shows it.
struct FieldCase {
  std::string members; // the JSON members of a freestyle job after "type" and "image"
  std::string pointer; // JSON pointer into the job document
  std::string field;   // the problem's "field" if the value is refused
};

const std::vector<std::string>& sql_values() {
  static const std::vector<std::string> values = {
      "'; DROP TABLE jobs; --",
      "x' OR '1'='1",
      "\" OR \"\"=\"",
      "Robert'); DROP TABLE runs;--",
      "1; SELECT pg_sleep(30); --",
      "$$; DROP TABLE secrets; $$",
      "\\'; DELETE FROM secrets; --",
      "%' OR 1=1 /*",
  };
  return values;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// Either refused as `field` with nothing stored, or stored so that `pointer` in the job reads
// back exactly `value`.
void expect_refused_or_exact(const HttpResponse& response, const HttpResponse& got,
                             const std::string& pointer, const std::string& field,
                             const std::string& value) {
  if (response.status == 400) {
    EXPECT_TRUE(is_problem(response, 400, field)) << value;
    return;
  }
  ASSERT_TRUE(response.status == 200 || response.status == 201) << response.body;
  auto document = parse_json(got.body);
  auto* stored = rapidjson::Pointer(pointer.c_str()).Get(document);
  ASSERT_NE(stored, nullptr) << pointer << " is not in " << got.body;
  ASSERT_TRUE(stored->IsString()) << pointer;
  EXPECT_EQ(std::string(stored->GetString(), stored->GetStringLength()), value) << pointer;
}

TEST_P(SecurityStorageTest, SqlMetacharactersInJobFieldsAreStoredByteExactOrRefused) {
  for (const auto& value : sql_values()) {
    SCOPED_TRACE(value);
    auto q = json_string(value);
    const std::string script = R"("script":"b",)";
    const std::vector<FieldCase> cases = {
        {script + R"("description":)" + q, "/description", "description"},
        {R"("script":)" + q, "/script", "script"},
        {script + R"("env":{"GREETING":)" + q + "}", "/env/GREETING", "env.GREETING"},
        {script + R"("labels":{"team":)" + q + "}", "/labels/team", "labels.team"},
        {script + R"("user":)" + q, "/user", "user"},
        {script + R"("parameters":{"P":{"type":"string","description":)" + q + "}}",
         "/parameters/P/description", "parameters.P.description"},
        {script + R"("parameters":{"P":{"type":"string","default":)" + q + "}}",
         "/parameters/P/default", "parameters.P.default"},
        {script + R"("parameters":{"P":{"type":"choice","choices":[)" + q + "]}}",
         "/parameters/P/choices/0", "parameters.P.choices[0]"},
    };
    for (const auto& c : cases) {
      auto body = R"({"type":"freestyle","image":"a",)" + c.members + "}";
      auto before = observable_state("sql-job");
      auto response = put_job("sql-job", body);
      if (response.status == 400) {
        EXPECT_EQ(observable_state("sql-job"), before) << c.members;
      }
      auto got = call(Verb::get, "/jobs/sql-job", {}, "read");
      expect_refused_or_exact(response, got, c.pointer, c.field, value);
    }
  }
  auto listed = call(Verb::get, "/jobs", {}, "read");
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("\"sql-job\""), std::string::npos);
}

TEST_P(SecurityStorageTest, SqlMetacharactersInNamesTriggersAndQueriesChangeNothing) {
  ASSERT_EQ(put_job("sql-run", R"({"type":"freestyle","image":"a","script":"b",
      "parameters":{"P":{"type":"string"}}})")
                .status,
            201);
  ASSERT_EQ(call(Verb::put, "/jobs/sql-run/secrets/KEEP", R"({"value":"xxxx"})").status, 201);
  for (const auto& value : sql_values()) {
    SCOPED_TRACE(value);
    auto before = observable_state("sql-run");
    // Names in paths: each a name's validation error, nothing stored.
    auto encoded = std::string();
    for (unsigned char c : value) {
      encoded +=
          std::isalnum(c) != 0 ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    }
    EXPECT_TRUE(is_problem(put_job(encoded, k_readme_job), 400, "job"));
    EXPECT_TRUE(is_problem(
        call(Verb::put, "/jobs/sql-run/secrets/" + encoded, R"({"value":"xxxx"})"), 400, "key"));
    EXPECT_TRUE(
        is_problem(call(Verb::get, "/jobs/sql-run/runs/" + encoded, {}, "read"), 400, "id"));
    auto integration = call(Verb::put, "/integrations/github/" + encoded,
                            R"({"webhookSecret":"s","token":"t","apiUrl":"http://127.0.0.1:9"})");
    EXPECT_TRUE(is_problem(integration, 400, "name")) << integration.body;
    EXPECT_TRUE(is_problem(call(Verb::get, "/jobs?after=" + encoded, {}, "read"), 400, "after"));
    EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/sql-run/runs?after=" + encoded, {}, "read"), 400,
                           "after"));
    EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/sql-run/runs?status=" + encoded, {}, "read"), 400,
                           "status"));
    EXPECT_EQ(observable_state("sql-run"), before);

    // A parameter value is data: stored and read back exactly.
    auto created = trigger("sql-run", R"({"commitSha":")" + std::string(k_zero_sha) +
                                          R"(","parameters":{"P":)" + json_string(value) + "}}");
    ASSERT_EQ(created.status, 201) << created.body;
    auto run = call(Verb::get, created.header("Location"), {}, "read");
    auto document = parse_json(run.body);
    EXPECT_EQ(string_member(document["parameters"], "P"), value);
    // A branch name: refused as one, or stored exactly.
    auto branch = trigger("sql-run", R"({"branchName":)" + json_string(value) + "}");
    if (branch.status == 400) {
      EXPECT_TRUE(is_problem(branch, 400, "branchName"));
    } else {
      ASSERT_EQ(branch.status, 201) << branch.body;
      auto stored = parse_json(call(Verb::get, branch.header("Location"), {}, "read").body);
      EXPECT_EQ(string_member(stored["trigger"], "branchName"), value);
    }
  }
  // Every table is still there and whole.
  auto runs = parse_json(call(Verb::get, "/jobs/sql-run/runs?limit=200", {}, "read").body);
  EXPECT_GE(runs["items"].Size(), sql_values().size());
  auto secrets = call(Verb::get, "/jobs/sql-run/secrets", {}, "read");
  EXPECT_NE(secrets.body.find("KEEP"), std::string::npos) << secrets.body;
  EXPECT_EQ(put_job("after-all", k_readme_job).status, 201);
}

} // namespace
} // namespace cicd::test

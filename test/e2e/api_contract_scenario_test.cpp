// Every operation of docs/openapi.yaml, answered by a real `cicd standalone` running real jobs
// on Docker: jobs, runs (trigger, poll, rerun, abort), the console and results, secrets,
// settings, resource classes, SSH keys, tokens, agents, metrics, and the errors each can give
// (401, 403, 404, 400, 409, 412, 413, 422, 304). Each exchange is recorded and
// test/openapi/validate_exchanges.mjs holds it to the spec: the status is declared for the
// route, the Content-Type is a declared one, the body fits the schema, the required headers
// are there; and every operation of the spec was called at least once.
// The exchanges are kept in <build dir>/test/api-contract-exchanges.jsonl (the path is printed).
#include "agent_fixture.hpp"
#include "api_contract_tools.hpp"

#include "master/api.hpp"
#include "support/forge_api_server.hpp"
#include "support/forge_payloads.hpp"
#include "support/git_repos.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;

class ApiContractScenario : public AgentTest {
protected:
  // One slot: a second run of the long job stays queued, for the abort of a queued run.
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 1;
    return options;
  }

  void SetUp() override {
    AgentTest::SetUp();
    m_recorder = std::make_unique<ExchangeRecorder>(standalone().client());
  }

  HttpHeaders as(const std::string& scope, HttpHeaders more = {}) {
    more.emplace_back("Authorization", "Bearer " + standalone().token(scope));
    return more;
  }

  HttpResponse send(Verb method, const std::string& target, std::string_view body = {},
                    const HttpHeaders& headers = {}, bool unrouted = false) {
    return m_recorder->send(method, target, body, headers, unrouted);
  }

  // A request the test expects `status` from; the answer is returned either way.
  HttpResponse expect(int status, Verb method, const std::string& target,
                      std::string_view body = {}, const HttpHeaders& headers = {}) {
    auto response = send(method, target, body, headers);
    EXPECT_EQ(response.status, status)
        << boost::beast::http::to_string(method) << " " << target << ": " << response.body;
    return response;
  }

  // Polls GET …/runs/{id} (each poll recorded) until the run's status is one of `statuses`
  // or 60 s passed; returns the last document.
  rapidjson::Document poll_run(const std::string& job, std::int64_t id,
                               const std::vector<std::string_view>& statuses) {
    auto until = std::chrono::steady_clock::now() + k_run_deadline;
    for (;;) {
      auto response = expect(200, Verb::get, run_path(job, id), {}, as("read"));
      auto document = parse_json(response.body);
      auto status = string_member(document, "status");
      bool reached = std::find(statuses.begin(), statuses.end(), status) != statuses.end();
      if (reached || std::chrono::steady_clock::now() >= until) {
        EXPECT_TRUE(reached) << "run " << id << " of " << job << " is still " << status;
        return document;
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  std::int64_t created_id(const HttpResponse& response) {
    auto document = parse_json(response.body);
    return document.IsObject() && document.HasMember("id") ? document["id"].GetInt64() : -1;
  }

  ExchangeRecorder& recorder() { return *m_recorder; }

private:
  std::unique_ptr<ExchangeRecorder> m_recorder;
};

const std::vector<std::string_view> k_ended = {"succeeded", "failed", "errored", "timed_out",
                                               "aborted"};

TEST_F(ApiContractScenario, EveryOperationAnswersAsTheSpecSays) {
  if (!openapi_tools_ready()) {
    return;
  }
  const std::string sha_body = R"({"commitSha":")" + std::string(k_zero_sha) + R"("})";
  const std::string run_body =
      R"({"commitSha":")" + std::string(k_zero_sha) + R"(","parameters":{"GREETING":"contract"}})";
  const std::string job = freestyle_job(
      "echo \"hello $GREETING\"\nmkdir -p out\necho payload > out/file.txt\n"
      "printf '<testsuite><testcase name=\"a\"/></testsuite>' > out/report.xml",
      R"("results": {"file": {"path": "out/file.txt", "type": "file"},
                     "junit": {"path": "out/report.xml", "type": "junit"}},
         "services": {"db": {"image": )" +
          json_quote(image()) + R"(, "command": ["sh", "-c", "echo db up; sleep 300"]}},
         "secrets": ["API_TOKEN"],
         "parameters": {"GREETING": {"type": "string", "default": "world"}})");

  // Health and authentication.
  auto health = expect(200, Verb::get, "/healthz");
  EXPECT_EQ(string_member(parse_json(health.body), "apiVersion"), master::k_api_version);
  expect(401, Verb::get, "/jobs");
  expect(401, Verb::get, "/jobs", {}, {{"Authorization", "Bearer not.a.token"}});
  expect(403, Verb::put, "/jobs/contract", job, as("read"));

  // Jobs.
  expect(200, Verb::put, "/jobs/contract?dryRun=true", job, as("admin"));
  expect(400, Verb::put, "/jobs/contract?dryRun=maybe", job, as("admin"));
  expect(400, Verb::put, "/jobs/contract", R"({"type":"freestyle"})", as("admin"));
  expect(400, Verb::put, "/jobs/contract", "{not json", as("admin"));
  auto created = expect(201, Verb::put, "/jobs/contract", job, as("admin"));
  auto etag = created.header("ETag");
  expect(412, Verb::put, "/jobs/contract", job, as("admin", {{"If-None-Match", "*"}}));
  expect(412, Verb::put, "/jobs/contract", job, as("admin", {{"If-Match", "\"stale\""}}));
  expect(200, Verb::put, "/jobs/contract", job, as("admin", {{"If-Match", etag}}));
  expect(413, Verb::put, "/jobs/contract", std::string(1100 * 1024, ' '), as("admin"));
  expect(200, Verb::get, "/jobs/contract", {}, as("read"));
  expect(304, Verb::get, "/jobs/contract", {}, as("read", {{"If-None-Match", etag}}));
  expect(404, Verb::get, "/jobs/nope", {}, as("read"));
  expect(400, Verb::get, "/jobs/Not_A_Name", {}, as("read"));
  expect(201, Verb::put, "/jobs/contract-long", freestyle_job("echo started; sleep 120"),
         as("admin"));
  auto page = expect(200, Verb::get, "/jobs?limit=1", {}, as("read"));
  EXPECT_NE(page.body.find(R"("next":"/jobs?limit=1&after=contract")"), std::string::npos)
      << page.body;
  expect(200, Verb::get, "/jobs?after=contract", {}, as("read"));
  expect(400, Verb::get, "/jobs?limit=x", {}, as("read"));

  // Secrets.
  const std::string secret = "/jobs/contract/secrets/API_TOKEN";
  expect(201, Verb::put, secret, R"({"value":"s3cr3t-value"})", as("admin"));
  expect(200, Verb::put, secret, R"({"value":"s3cr3t-value"})", as("admin"));
  expect(400, Verb::put, secret, R"({"value":"ab"})", as("admin"));
  expect(404, Verb::put, "/jobs/nope/secrets/API_TOKEN", R"({"value":"s3cr3t"})", as("admin"));
  expect(403, Verb::put, secret, R"({"value":"s3cr3t-value"})", as("trigger"));
  auto secrets = expect(200, Verb::get, "/jobs/contract/secrets", {}, as("read"));
  EXPECT_EQ(secrets.body.find("s3cr3t"), std::string::npos) << secrets.body;

  // Settings and resource classes.
  expect(200, Verb::get, "/settings", {}, as("read"));
  expect(200, Verb::put, "/settings", R"({"consoleLimitMiB": 100})", as("admin"));
  expect(400, Verb::put, "/settings", R"({"consoleLimitMiB": 0})", as("admin"));
  expect(403, Verb::put, "/settings", R"({"consoleLimitMiB": 100})", as("trigger"));
  const std::string small = "/settings/resource-classes/contract-small";
  expect(201, Verb::put, small, R"({"cpus": 0.5, "memoryMiB": 256})", as("admin"));
  expect(200, Verb::put, small, R"({"cpus": 0.5, "memoryMiB": 512})", as("admin"));
  expect(400, Verb::put, small, R"({"cpus": 0, "memoryMiB": 512})", as("admin"));
  expect(200, Verb::get, small, {}, as("read"));
  expect(200, Verb::get, "/settings/resource-classes", {}, as("read"));
  expect(404, Verb::get, "/settings/resource-classes/nope", {}, as("read"));
  expect(201, Verb::put, "/jobs/contract-gpu",
         freestyle_job("echo never", R"("resourceClass": "gpu")"), as("admin"));
  expect(422, Verb::post, "/jobs/contract-gpu/runs", sha_body, as("trigger"));

  // Runs: trigger (with an Idempotency-Key), poll, list.
  expect(403, Verb::post, "/jobs/contract/runs", run_body, as("read"));
  expect(400, Verb::post, "/jobs/contract/runs", "{}", as("trigger"));
  expect(404, Verb::post, "/jobs/nope/runs", run_body, as("trigger"));
  auto key = HttpHeaders{{"Idempotency-Key", "contract-1"}};
  auto id =
      created_id(expect(201, Verb::post, "/jobs/contract/runs", run_body, as("trigger", key)));
  auto replayed = expect(201, Verb::post, "/jobs/contract/runs", run_body, as("trigger", key));
  EXPECT_EQ(replayed.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(created_id(replayed), id);
  expect(422, Verb::post, "/jobs/contract/runs", R"({"branchName":"main"})", as("trigger", key));
  auto ended = poll_run("contract", id, k_ended);
  EXPECT_EQ(string_member(ended, "status"), "succeeded") << string_member(ended, "reason");
  auto run = expect(200, Verb::get, run_path("contract", id), {}, as("read"));
  expect(304, Verb::get, run_path("contract", id), {},
         as("read", {{"If-None-Match", run.header("ETag")}}));
  expect(404, Verb::get, run_path("contract", 9999), {}, as("read"));
  expect(400, Verb::get, "/jobs/contract/runs/zero", {}, as("read"));
  expect(200, Verb::get, "/jobs/contract/runs", {}, as("read"));
  expect(200, Verb::get, "/jobs/contract/runs?status=succeeded&limit=1", {}, as("read"));
  expect(400, Verb::get, "/jobs/contract/runs?status=bogus", {}, as("read"));

  // The console and the results.
  auto path = run_path("contract", id);
  auto console = expect(200, Verb::get, path + "/results/console", {}, as("read"));
  EXPECT_TRUE(holds_text(console.body, "hello contract"));
  expect(200, Verb::get, path + "/results/console?offset=3&follow=true", {}, as("read"));
  auto events = expect(200, Verb::get, path + "/results/console", {},
                       as("read", {{"Accept", "text/event-stream"}}));
  EXPECT_TRUE(holds_text(events.body, "event: end"));
  expect(400, Verb::get, path + "/results/console?offset=-1", {}, as("read"));
  expect(400, Verb::get, path + "/results/console?follow=maybe", {}, as("read"));
  expect(200, Verb::get, path + "/results", {}, as("read"));
  expect(200, Verb::get, path + "/results/file", {}, as("read"));
  expect(200, Verb::get, path + "/results/junit", {}, as("read"));
  expect(422, Verb::get, path + "/results/file?redirect=true", {}, as("read"));
  expect(400, Verb::get, path + "/results/file?redirect=maybe", {}, as("read"));
  expect(404, Verb::get, path + "/results/nope", {}, as("read"));
  expect(200, Verb::get, path + "/results/services/db.log", {}, as("read"));
  expect(404, Verb::get, path + "/results/services/nope.log", {}, as("read"));

  // Rerun, and aborts of a running and a queued run.
  auto rerun_id = created_id(expect(201, Verb::post, path + "/rerun", {}, as("trigger")));
  poll_run("contract", rerun_id, k_ended);
  expect(404, Verb::post, run_path("contract", 9999) + "/rerun", {}, as("trigger"));
  auto running =
      created_id(expect(201, Verb::post, "/jobs/contract-long/runs", sha_body, as("trigger")));
  poll_run("contract-long", running, {"running"});
  expect(409, Verb::delete_, "/jobs/contract-long", {}, as("admin"));
  auto queued =
      created_id(expect(201, Verb::post, "/jobs/contract-long/runs", sha_body, as("trigger")));
  expect(200, Verb::post, run_path("contract-long", queued) + "/abort", {}, as("trigger"));
  expect(202, Verb::post, run_path("contract-long", running) + "/abort", {}, as("trigger"));
  poll_run("contract-long", running, k_ended);
  expect(409, Verb::post, run_path("contract-long", running) + "/abort", {}, as("trigger"));
  expect(403, Verb::post, run_path("contract-long", running) + "/abort", {}, as("read"));

  // SSH deploy keys and host keys.
  expect(201, Verb::post, "/jobs/contract/ssh-key", {}, as("admin"));
  expect(200, Verb::get, "/jobs/contract/ssh-key", {}, as("read"));
  expect(204, Verb::delete_, "/jobs/contract/ssh-key", {}, as("admin"));
  expect(404, Verb::get, "/jobs/contract/ssh-key", {}, as("read"));
  expect(404, Verb::post, "/jobs/nope/ssh-key", {}, as("admin"));
  expect(200, Verb::get, "/settings/ssh-host-keys", {}, as("read"));
  expect(404, Verb::delete_, "/settings/ssh-host-keys/git.example.org:22", {}, as("admin"));

  // Forge connections and hooks (a stand-in takes the commit statuses).
  ForgeApiServer forge;
  const std::string connection = "/integrations/github/contract";
  auto connection_body = R"({"webhookSecret":"contract-hook-secret","token":"contract-token",)"
                         R"("apiUrl":")" +
                         forge.url() + R"("})";
  expect(200, Verb::put, connection + "?dryRun=true", connection_body, as("admin"));
  expect(201, Verb::put, connection, connection_body, as("admin"));
  expect(200, Verb::put, connection, connection_body, as("admin"));
  expect(400, Verb::put, connection, R"({"token":"contract-token"})", as("admin"));
  expect(403, Verb::put, connection, connection_body, as("trigger"));
  expect(200, Verb::get, connection, {}, as("admin"));
  expect(404, Verb::get, "/integrations/github/nope", {}, as("admin"));
  expect(200, Verb::get, "/integrations/github", {}, as("admin"));
  const std::string lab = "/integrations/gitlab/contract";
  expect(201, Verb::put, lab, connection_body, as("admin"));
  expect(200, Verb::get, lab, {}, as("admin"));
  expect(200, Verb::get, "/integrations/gitlab", {}, as("admin"));
  expect(201, Verb::put, "/jobs/contract-hooks",
         freestyle_job("echo hook", R"("triggers": {"github": {"connection": "contract", )"
                                    R"("repository": "Codertocat/Hello-World"}})"),
         as("admin"));
  auto payload = github_example("pull_request", "opened");
  HttpHeaders delivery{{"X-GitHub-Event", "pull_request"},
                       {"X-GitHub-Delivery", "contract-1"},
                       {"X-Hub-Signature-256", github_signature("contract-hook-secret", payload)}};
  auto hooked = expect(202, Verb::post, "/hooks/github/contract", payload, delivery);
  expect(200, Verb::post, "/hooks/github/contract", payload, delivery);
  expect(401, Verb::post, "/hooks/github/contract", payload + " ", delivery);
  expect(400, Verb::post, "/hooks/github/contract", payload,
         {delivery[0], delivery[2], {"X-GitHub-Delivery", ""}});
  auto ignored = std::string(R"({"object_kind":"note"})");
  expect(200, Verb::post, "/hooks/gitlab/contract", ignored,
         {{"X-Gitlab-Event", "Note Hook"},
          {"X-Gitlab-Event-UUID", "contract-2"},
          {"X-Gitlab-Token", "contract-hook-secret"}});
  expect(401, Verb::post, "/hooks/gitlab/contract", ignored,
         {{"X-Gitlab-Event", "Note Hook"}, {"X-Gitlab-Event-UUID", "contract-2"}});
  auto hooked_runs = parse_json(hooked.body);
  if (hooked_runs.IsObject() && hooked_runs["runs"].IsArray() && !hooked_runs["runs"].Empty()) {
    poll_run("contract-hooks", hooked_runs["runs"][0]["id"].GetInt64(), k_ended);
  } else {
    ADD_FAILURE() << hooked.body;
  }
  expect(204, Verb::delete_, lab, {}, as("admin"));
  expect(204, Verb::delete_, connection, {}, as("admin"));
  expect(404, Verb::delete_, connection, {}, as("admin"));

  // Tokens: a minted one works.
  auto minted = expect(201, Verb::post, "/tokens",
                       R"({"sub": "contract-bot", "scope": "read", "ttl": "1h"})", as("admin"));
  auto token = string_member(parse_json(minted.body), "token");
  expect(200, Verb::get, "/jobs", {}, {{"Authorization", "Bearer " + token}});
  expect(400, Verb::post, "/tokens", R"({"sub": "contract-bot", "scope": "root"})", as("admin"));
  expect(403, Verb::post, "/tokens", R"({"sub": "contract-bot", "scope": "read"})", as("trigger"));

  // Metrics, and requests no operation answers.
  expect(200, Verb::get, "/metrics", {}, as("read"));
  EXPECT_EQ(send(Verb::get, "/no-such-route", {}, as("read"), true).status, 404);
  EXPECT_EQ(send(Verb::patch, "/jobs", {}, as("admin"), true).status, 405);

  // Deleting what the scenario made.
  expect(204, Verb::delete_, secret, {}, as("admin"));
  expect(404, Verb::delete_, secret, {}, as("admin"));
  expect(204, Verb::delete_, small, {}, as("admin"));
  expect(404, Verb::delete_, small, {}, as("admin"));
  expect(412, Verb::delete_, "/jobs/contract", {}, as("admin", {{"If-Match", "\"stale\""}}));
  expect(204, Verb::delete_, "/jobs/contract", {}, as("admin"));
  expect(404, Verb::delete_, "/jobs/contract", {}, as("admin"));

  // Agents; draining the standalone's own agent comes last (it takes no run afterwards).
  expect(200, Verb::get, "/agents", {}, as("read"));
  expect(404, Verb::post, "/agents/no-such-agent/drain", {}, as("admin"));
  expect(202, Verb::post, "/agents/" + standalone().agent_id() + "/drain", {}, as("admin"));

  auto file = std::filesystem::current_path() / "api-contract-exchanges.jsonl";
  recorder().write(file);
  std::cout << recorder().size() << " exchanges: " << file.string() << "\n";
  auto output =
      run_openapi_tool("validate_exchanges.mjs", shell_quote(openapi_spec_path().string()) + " " +
                                                     shell_quote(file.string()));
  std::cout << output;
  EXPECT_TRUE(holds_text(output, "exchanges match the spec"));
}

} // namespace
} // namespace cicd::test

#include "cicd/model/run.hpp"

#include "cicd/model/json.hpp"
#include "cicd/model/run_spec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cicd::model {
namespace {

constexpr std::int64_t k_queued_ms = 1'795'736'531'842; // 2026-11-26T23:42:11.842Z

Run queued_run() {
  Run run;
  run.id = 12;
  run.job = "unit-test";
  run.trigger.branch_name = "master";
  run.trigger.by = "alice";
  run.parameters_json = R"({"TARGET":"release","SHARDS":4})";
  run.queued_at_ms = k_queued_ms;
  return run;
}

rapidjson::Document document_of(const Run& run) {
  auto text = to_json(run);
  auto document = parse_json_object(text);
  EXPECT_TRUE(document.has_value()) << text;
  return document ? std::move(*document) : rapidjson::Document();
}

std::string string_at(const rapidjson::Value& object, const char* key) {
  EXPECT_TRUE(object.HasMember(key)) << key;
  EXPECT_TRUE(object[key].IsString()) << key;
  return object[key].IsString() ? object[key].GetString() : "";
}

TEST(RunToJson, QueuedRunHasNullsForWhatHasNotHappened) {
  auto document = document_of(queued_run());
  EXPECT_EQ(document["id"].GetInt64(), 12);
  EXPECT_EQ(string_at(document, "job"), "unit-test");
  EXPECT_EQ(string_at(document, "status"), "queued");
  const auto& trigger = document["trigger"];
  EXPECT_EQ(string_at(trigger, "kind"), "api");
  EXPECT_TRUE(trigger["commitSha"].IsNull());
  EXPECT_EQ(string_at(trigger, "branchName"), "master");
  EXPECT_EQ(string_at(trigger, "by"), "alice");
  EXPECT_FALSE(trigger.HasMember("rerunOf")) << "only for reruns";
  EXPECT_EQ(string_at(document["parameters"], "TARGET"), "release");
  EXPECT_EQ(document["parameters"]["SHARDS"].GetInt64(), 4);
  EXPECT_EQ(string_at(document, "queuedAt"), "2026-11-26T23:42:11.842Z");
  EXPECT_TRUE(document["startedAt"].IsNull());
  EXPECT_TRUE(document["finishedAt"].IsNull());
  EXPECT_TRUE(document["reason"].IsNull());
  EXPECT_FALSE(document["abortRequested"].GetBool());
  EXPECT_TRUE(document["agent"].IsNull());
  EXPECT_TRUE(document["exitCode"].IsNull());
  EXPECT_EQ(string_at(document, "href"), "/jobs/unit-test/runs/12");
}

TEST(RunToJson, FinishedRerunHasEveryField) {
  auto run = queued_run();
  run.status = RunStatus::aborted;
  run.trigger =
      Trigger{"rerun",     "0123456789abcdef0123456789abcdef01234567", "", "bob", 7, std::nullopt,
              std::nullopt};
  run.parameters_json = "{}";
  run.started_at_ms = k_queued_ms + 60'000;
  run.finished_at_ms = k_queued_ms + 120'001;
  run.reason = "aborted by bob";
  run.abort_requested = true;
  run.agent = "agent-1";
  run.exit_code = 137;

  auto document = document_of(run);
  EXPECT_EQ(string_at(document, "status"), "aborted");
  const auto& trigger = document["trigger"];
  EXPECT_EQ(string_at(trigger, "kind"), "rerun");
  EXPECT_EQ(string_at(trigger, "commitSha"), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_TRUE(trigger["branchName"].IsNull());
  EXPECT_EQ(trigger["rerunOf"].GetInt64(), 7);
  EXPECT_TRUE(document["parameters"].IsObject());
  EXPECT_EQ(document["parameters"].MemberCount(), 0u);
  EXPECT_EQ(string_at(document, "startedAt"), "2026-11-26T23:43:11.842Z");
  EXPECT_EQ(string_at(document, "finishedAt"), "2026-11-26T23:44:11.843Z");
  EXPECT_EQ(string_at(document, "reason"), "aborted by bob");
  EXPECT_TRUE(document["abortRequested"].GetBool());
  EXPECT_EQ(string_at(document, "agent"), "agent-1");
  EXPECT_EQ(document["exitCode"].GetInt64(), 137);
}

TEST(RunToJson, ARetryNamesTheRunItRetriesAndAQueuedRunItsPosition) {
  auto run = queued_run();
  run.trigger.kind = "retry";
  run.trigger.retry_of = 9;
  run.queue_position = 3;
  auto document = document_of(run);
  EXPECT_EQ(string_at(document["trigger"], "kind"), "retry");
  EXPECT_EQ(document["trigger"]["retryOf"].GetInt64(), 9);
  EXPECT_FALSE(document["trigger"].HasMember("rerunOf"));
  EXPECT_EQ(document["queuePosition"].GetInt64(), 3);
}

TEST(RunToJson, AGitRunShowsItsCommitAndConfigAndAFreestyleOneNeither) {
  auto freestyle = document_of(queued_run());
  EXPECT_FALSE(freestyle.HasMember("config"));
  EXPECT_TRUE(freestyle["commitSha"].IsNull());

  RunSpec spec;
  spec.image = ImageBuild{"Dockerfile", ".", "test", {}};
  spec.script = "make test";
  auto run = queued_run();
  run.commit_sha = std::string(40, 'b');
  run.config_json = to_json(spec);
  auto document = document_of(run);
  EXPECT_EQ(string_at(document, "commitSha"), run.commit_sha);
  ASSERT_TRUE(document["config"].IsObject());
  EXPECT_EQ(string_at(document["config"], "script"), "make test");
  // The stored config reads back as the spec it was made from.
  EXPECT_EQ(parse_run_spec_json(run.config_json).value(), spec);
}

TEST(RunToJson, NoQueuePositionUnlessKnown) {
  auto document = document_of(queued_run());
  EXPECT_FALSE(document.HasMember("queuePosition"));
  EXPECT_FALSE(document["trigger"].HasMember("retryOf"));
}

TEST(RunToJson, ExitCodeZeroIsNotNull) {
  auto run = queued_run();
  run.status = RunStatus::succeeded;
  run.exit_code = 0;
  auto document = document_of(run);
  ASSERT_TRUE(document["exitCode"].IsInt64());
  EXPECT_EQ(document["exitCode"].GetInt64(), 0);
}

TEST(RunToJson, EscapesStrings) {
  auto run = queued_run();
  run.trigger.by = "eve \"<script>\" \\ \n";
  run.reason = "line1\nline2\t\x01";
  auto document = document_of(run);
  EXPECT_EQ(string_at(document["trigger"], "by"), "eve \"<script>\" \\ \n");
  EXPECT_EQ(string_at(document, "reason"), "line1\nline2\t\x01");
}

TEST(RunStatus, NamesRoundTrip) {
  for (auto status :
       {RunStatus::queued, RunStatus::running, RunStatus::succeeded, RunStatus::failed,
        RunStatus::errored, RunStatus::timed_out, RunStatus::aborted}) {
    EXPECT_EQ(parse_run_status(to_string(status)), status) << to_string(status);
  }
  EXPECT_EQ(to_string(RunStatus::timed_out), "timed_out");
  EXPECT_EQ(parse_run_status("Queued"), std::nullopt);
  EXPECT_EQ(parse_run_status(""), std::nullopt);
  EXPECT_FALSE(is_terminal(RunStatus::queued));
  EXPECT_FALSE(is_terminal(RunStatus::running));
  EXPECT_TRUE(is_terminal(RunStatus::aborted));
  EXPECT_TRUE(is_terminal(RunStatus::timed_out));
}

} // namespace
} // namespace cicd::model

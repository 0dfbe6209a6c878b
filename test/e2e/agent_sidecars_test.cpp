// Sidecars: reached by their service name on the run's private network, ready when their
// `port` accepts connections, isolated between runs, and their output kept as a result.
#include "agent_fixture.hpp"

namespace cicd::test {
namespace {

using AgentSidecarTest = AgentTest;

// A "database" answering `answer` on port 5432 to each connection.
std::string pong_service(const std::string& image, const std::string& answer = "pong") {
  return R"("services": {"db": {"image": )" + json_quote(image) +
         R"(, "command": ["sh", "-c", "echo db listening; while true; do echo )" + answer +
         R"( | nc -l -p 5432; done"], "port": 5432}})";
}

TEST_F(AgentSidecarTest, TheJobReachesItsSidecarByTheServiceName) {
  put_job("with-db", freestyle_job("echo asking db\nnc db 5432", pong_service(image())));
  auto id = trigger("with-db");
  auto run = wait_for_end("with-db", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  auto output = console("with-db", id);
  EXPECT_TRUE(holds_text(output, "started service db"));
  EXPECT_TRUE(holds_text(output, "pong\n"));

  // The sidecar's own output is a result of the run, also when all went well.
  bool listed = false;
  for (const auto& item : results("with-db", id)) {
    listed = listed || item.name == "services/db.log";
  }
  EXPECT_TRUE(listed);
  auto log = result("with-db", id, "services/db.log");
  EXPECT_EQ(log.status, 200) << log.body;
  EXPECT_TRUE(holds_text(log.body, "db listening"));
}

TEST_F(AgentSidecarTest, TwoRunsWithTheSameSidecarNameRunAtOnceWithoutClashing) {
  // Each run's "db" answers with its own host name. The job asks twice, three seconds apart,
  // so that the runs overlap: a shared or crossed network would show another db's answer.
  put_job("twice", freestyle_job("first=$(nc db 5432)\nsleep 3\nsecond=$(nc db 5432)\n"
                                 "echo \"answers: $first $second\"\n"
                                 "test \"$first\" = \"$second\"",
                                 pong_service(image(), "pong-$(hostname)")));
  auto a = trigger("twice");
  auto b = trigger("twice");
  auto run_a = wait_for_end("twice", a);
  auto run_b = wait_for_end("twice", b);
  auto output_a = console("twice", a);
  auto output_b = console("twice", b);
  EXPECT_EQ(run_a.status, "succeeded") << run_a.body << "\n" << output_a;
  EXPECT_EQ(run_b.status, "succeeded") << run_b.body << "\n" << output_b;
  // They did overlap: each started before the other finished.
  EXPECT_LT(run_a.started_at, run_b.finished_at);
  EXPECT_LT(run_b.started_at, run_a.finished_at);

  auto answers = [](const std::string& output) {
    auto at = output.find("answers: ");
    return at == std::string::npos ? std::string() : output.substr(at, output.find('\n', at) - at);
  };
  EXPECT_TRUE(holds_text(output_a, "answers: pong-"));
  EXPECT_TRUE(holds_text(output_b, "answers: pong-"));
  EXPECT_NE(answers(output_a), answers(output_b)) << "both runs talked to the same db";
}

TEST_F(AgentSidecarTest, ASidecarThatExitsErrorsTheRunNamingItAndKeepsItsLog) {
  put_job(
      "db-dies",
      freestyle_job(
          "echo the job ran",
          R"("services": {"db": {"image": )" + json_quote(image()) +
              R"(, "command": ["sh", "-c", "echo db mode $DB_MODE; echo fatal: no config file >&2; exit 3"],
                 "env": {"DB_MODE": "strict"}, "port": 5432}})"));
  auto id = trigger("db-dies");
  auto run = wait_for_end("db-dies", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "'db'")) << "the reason names the service";
  EXPECT_TRUE(holds_text(run.reason, "services/db.log"));
  EXPECT_TRUE(lacks_text(console("db-dies", id), "the job ran"));

  bool listed = false;
  for (const auto& item : results("db-dies", id)) {
    if (item.name == "services/db.log") {
      listed = true;
      EXPECT_TRUE(item.content_type.starts_with("text/plain")) << item.content_type;
    }
  }
  EXPECT_TRUE(listed) << "services/db.log is not among the results";
  auto log = result("db-dies", id, "services/db.log");
  EXPECT_EQ(log.status, 200) << log.body;
  EXPECT_TRUE(holds_text(log.body, "db mode strict\n")); // the service's env reached it
  EXPECT_TRUE(holds_text(log.body, "fatal: no config file\n"));
}

TEST_F(AgentSidecarTest, ASidecarWithAMissingImageErrorsTheRunNamingServiceAndImage) {
  put_job("db-no-image", freestyle_job("echo the job ran",
                                       R"("services": {"db": {"image": "cicd-test/no-such-db:1",
                                           "port": 5432}})"));
  auto id = trigger("db-no-image");
  auto run = wait_for_end("db-no-image", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "db"));
  EXPECT_TRUE(holds_text(run.reason, "cicd-test/no-such-db:1"));
  EXPECT_TRUE(lacks_text(console("db-no-image", id), "the job ran"));
}

} // namespace
} // namespace cicd::test

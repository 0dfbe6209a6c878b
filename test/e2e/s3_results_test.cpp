// `cicd standalone --results s3://…` end to end: the agent stores the console and the results
// in the test S3 server (which checks every signature), the master serves them back from there,
// an independent client (AWS's SDK) finds them under the run's keys, and an agent whose secret
// is wrong ends its run errored with "result upload failed: …" naming S3's refusal. The
// credentials reach cicd through its environment only, as in production.
#include "agent_fixture.hpp"

#include "support/s3_test_server.hpp"

#include <cstdlib>

namespace cicd::test {
namespace {

class S3ResultStoreEndToEnd : public AgentTest {
protected:
  void SetUp() override {
    auto server = test_s3_server();
    if (!server) {
      return;
    }
    m_server = *server;
    m_prefix = unique_prefix("e2e runs é");
    // Inherited by the standalone process (support/cicd_process.hpp spawns with environ).
    ::setenv("AWS_ACCESS_KEY_ID", m_server.access_key.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", secret().c_str(), 1);
    AgentTest::SetUp();
  }

  void TearDown() override {
    AgentTest::TearDown();
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
  }

  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.extra_args = {"--results", m_server.url(m_prefix)};
    return options;
  }

  virtual std::string secret() const { return m_server.secret_key; }

  std::string key(std::int64_t run, std::string_view name) const {
    return m_prefix + std::string(name == "console" ? "runs/" + std::to_string(run) + "/console.log"
                                                    : "runs/" + std::to_string(run) + "/results/" +
                                                          std::string(name));
  }

  S3TestServer m_server;
  std::string m_prefix;
};

#define REQUIRE_S3()                                                                               \
  if (m_server.endpoint.empty() || HasFatalFailure() || IsSkipped()) {                             \
    return;                                                                                        \
  }

TEST_F(S3ResultStoreEndToEnd, ConsoleAndResultsAreStoredInS3AndServedThroughTheMaster) {
  REQUIRE_S3();
  put_job("s3-build", freestyle_job(R"(mkdir -p out
printf 'the report\nline two\n' > out/report.txt
echo built with s3)",
                                    R"("results": {
                                      "report": {"path": "out/report.txt", "type": "file"},
                                      "bundle": {"path": "out", "type": "dir"}})"));
  auto id = trigger("s3-build");
  auto run = wait_for_end("s3-build", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("s3-build", id);
  EXPECT_TRUE(holds_text(output, "built with s3\n"));
  EXPECT_TRUE(holds_text(output, "stored result 'report'"));
  auto report = result("s3-build", id, "report");
  EXPECT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.body, "the report\nline two\n");
  auto bundle = result("s3-build", id, "bundle");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_EQ(read_archive_files(bundle.body)["out/report.txt"], "the report\nline two\n");

  // ?redirect=true sends the client straight to S3 with a presigned URL; plain curl follows it.
  auto redirect = result("s3-build", id, "report?redirect=true");
  EXPECT_EQ(redirect.status, 307) << redirect.body;
  auto location = redirect.header("Location");
  EXPECT_TRUE(location.starts_with(m_server.endpoint + "/")) << location;
  EXPECT_TRUE(holds_text(location, "X-Amz-Signature="));
  auto direct = run_program({"curl", "-sS", "--globoff", location});
  EXPECT_EQ(direct.out, "the report\nline two\n") << direct.err;

  auto keys = list_keys(m_server, m_prefix);
  EXPECT_EQ(keys,
            (std::vector<std::string>{key(id, "console"), key(id, "bundle"), key(id, "report")}));
  auto stored_console = read_back(m_server, key(id, "console"));
  EXPECT_EQ(stored_console.size, static_cast<std::int64_t>(output.size()));
  EXPECT_EQ(stored_console.content_type, "text/plain; charset=utf-8");
  Sha256Stream console_hash;
  console_hash.add(output);
  EXPECT_EQ(stored_console.sha256, console_hash.hex()) << "the master served what S3 holds";
  auto stored_report = read_back(m_server, key(id, "report"));
  EXPECT_EQ(stored_report.size, 20);
}

class S3ResultStoreWrongSecret : public S3ResultStoreEndToEnd {
protected:
  std::string secret() const override { return "not-the-secret"; }
};

TEST_F(S3ResultStoreWrongSecret, ARunWhoseUploadIsRefusedEndsErrored) {
  REQUIRE_S3();
  put_job("s3-refused",
          freestyle_job("echo data > out.txt",
                        R"("results": {"out": {"path": "out.txt", "type": "file"}})"));
  auto id = trigger("s3-refused");
  auto run = wait_for_end("s3-refused", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(run.reason.starts_with("result upload failed")) << run.reason;
  EXPECT_TRUE(holds_text(run.reason, "(SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY"));
  EXPECT_EQ(list_keys(m_server, m_prefix), std::vector<std::string>{});
  EXPECT_TRUE(lacks_text(standalone().log(), "not-the-secret")) << "a secret never reaches a log";
}

TEST(S3ResultStoreStartup, MissingCredentialsStopTheStartWithAClearLine) {
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  TempDir dir("cicd-s3-startup");
  auto result = run_cicd({"standalone", "--data-dir", (dir.path() / "data").string(), "--results",
                          "s3://bucket/p?endpoint=http://127.0.0.1:9", "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
            std::string::npos)
      << result.err;
}

} // namespace
} // namespace cicd::test

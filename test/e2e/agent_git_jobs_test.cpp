// Git jobs end to end: the master resolves the trigger's branch and reads .cicd.yml at that
// commit; the agent fetches exactly that commit, builds the project's own Dockerfile and runs
// the script in the checkout. Real repositories, served as file://, over `git daemon` and over
// SSH with a deploy key the server made.
#include "agent_fixture.hpp"

#include "support/git_repos.hpp"
#include "support/git_servers.hpp"

#include <fmt/format.h>

namespace cicd::test {
namespace {

class AgentGitJobTest : public AgentTest {
protected:
  void SetUp() override {
    AgentTest::SetUp();
    if (HasFatalFailure() || IsSkipped() || !have_tool("git", "git")) {
      return;
    }
    m_repo = std::make_unique<TestGitRepo>(m_dir.path());
  }

  TestGitRepo& repo() { return *m_repo; }

  // A git job on `url` (the test repository by default).
  void put_git_job(std::string_view name, const std::string& url, std::string_view members = {}) {
    put_job(name, fmt::format(R"({{"type":"git","repoUrl":{}{}{}}})", json_quote(url),
                              members.empty() ? "" : ",", members));
  }

  // A .cicd.yml running `script` (lines) in the busybox image.
  std::string config(std::string_view script, std::string_view more = {}) const {
    std::string text = fmt::format("image: {}\nscript: |\n", image());
    std::string_view rest = script;
    while (!rest.empty()) {
      auto end = rest.find('\n');
      text += "  " + std::string(rest.substr(0, end)) + "\n";
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    return text + std::string(more);
  }

  static std::string on_branch(std::string_view branch) {
    return R"({"branchName":)" + json_quote(branch) + "}";
  }
  static std::string on_commit(std::string_view sha) {
    return R"({"commitSha":)" + json_quote(sha) + "}";
  }

  // Triggers a run of `job` with `body`, waits for its end and reads its console.
  struct Finished {
    RunView run;
    std::string output;
  };
  Finished run_to_end(std::string_view job, std::string_view body,
                      std::chrono::seconds deadline = k_run_deadline) {
    auto id = trigger(job, body);
    auto run = wait_for_end(job, id, deadline);
    return {run, console(job, id)};
  }

  // POST …/runs that must be refused: the response, after checking no run was stored.
  HttpResponse refused_trigger(std::string_view job, std::string_view body) {
    auto response = call(Verb::post, "/jobs/" + std::string(job) + "/runs", body, "trigger");
    auto runs = call(Verb::get, "/jobs/" + std::string(job) + "/runs", {}, "read");
    EXPECT_EQ(runs.status, 200);
    EXPECT_TRUE(holds_text(runs.body, R"("items":[])")) << "a refused trigger stored a run";
    return response;
  }

  TempDir m_dir{"cicd-git-jobs"};
  std::unique_ptr<TestGitRepo> m_repo;
};

#define REQUIRE_REPO()                                                                             \
  if (HasFatalFailure() || IsSkipped() || m_repo == nullptr) {                                     \
    return;                                                                                        \
  }

TEST_F(AgentGitJobTest, ABranchTriggerRunsTheRepositorysScriptAtTheResolvedCommit) {
  REQUIRE_REPO();
  auto sha = repo().commit(
      "main", {{".cicd.yml", config("cat greeting.txt\necho \"commit $CICD_COMMIT_SHA\"\n"
                                    "test -x tools/run.sh && tools/run.sh")},
               {"greeting.txt", "hello from the repository\n"},
               {"tools/run.sh", "#!/bin/sh\necho tool ran\n", TestFile::Kind::executable}});
  put_git_job("from-repo", repo().file_url());
  auto created = call(Verb::post, "/jobs/from-repo/runs", on_branch("main"), "trigger");
  ASSERT_EQ(created.status, 201) << created.body;
  // The document shows the commit the branch pointed at and the config read there.
  EXPECT_TRUE(holds_text(created.body, R"("commitSha":")" + sha + "\""));
  EXPECT_TRUE(holds_text(created.body, R"("config":{"image":)"));
  auto id = parse_json(created.body)["id"].GetInt64();
  auto run = wait_for_end("from-repo", id);
  auto output = console("from-repo", id);
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << output;
  EXPECT_TRUE(holds_text(output, "hello from the repository\n"));
  EXPECT_TRUE(holds_text(output, "commit " + sha + "\n"));
  EXPECT_TRUE(holds_text(output, "tool ran\n")); // the executable bit survived
}

TEST_F(AgentGitJobTest, ABranchPushedBetweenTwoTriggersGivesEachRunItsOwnCommit) {
  REQUIRE_REPO();
  auto first = repo().commit(
      "main", {{".cicd.yml", config("cat version.txt")}, {"version.txt", "version one\n"}});
  put_git_job("versions", repo().file_url());
  auto a = trigger("versions", on_branch("main"));
  auto second = repo().commit("main", {{"version.txt", "version two\n"}});
  auto b = trigger("versions", on_branch("main"));
  auto run_a = wait_for_end("versions", a);
  auto run_b = wait_for_end("versions", b);
  EXPECT_EQ(run_a.status, "succeeded") << run_a.body;
  EXPECT_EQ(run_b.status, "succeeded") << run_b.body;
  EXPECT_TRUE(holds_text(run_a.body, first));
  EXPECT_TRUE(holds_text(run_b.body, second));
  EXPECT_TRUE(holds_text(console("versions", a), "version one\n"));
  EXPECT_TRUE(holds_text(console("versions", b), "version two\n"));

  // A commit trigger runs that commit, over git:// too; a rerun repeats the same commit.
  GitDaemon daemon(m_dir.path());
  if (!daemon.started()) {
    return;
  }
  put_git_job("versions-git", daemon.url(repo().bare_path()));
  auto c = trigger("versions-git", on_commit(first));
  auto run_c = wait_for_end("versions-git", c);
  EXPECT_EQ(run_c.status, "succeeded") << run_c.body;
  EXPECT_TRUE(holds_text(console("versions-git", c), "version one\n"));
  auto rerun = call(Verb::post, run_path("versions-git", c) + "/rerun", {}, "trigger");
  ASSERT_EQ(rerun.status, 201) << rerun.body;
  EXPECT_TRUE(holds_text(rerun.body, R"("commitSha":")" + first + "\""));
  auto d = parse_json(rerun.body)["id"].GetInt64();
  EXPECT_EQ(wait_for_end("versions-git", d).status, "succeeded");
}

TEST_F(AgentGitJobTest, TheProjectsMultiStageDockerfileAndASidecarsOwnDockerfileAreBuilt) {
  REQUIRE_REPO();
  auto dockerfile = fmt::format("FROM {} AS base\nRUN echo base > /stage\n"
                                "FROM base AS test\nRUN echo test stage > /stage\n"
                                "FROM base AS production\nRUN echo production > /stage\n",
                                image());
  auto db_dockerfile =
      fmt::format("FROM {}\nCMD [\"sh\", \"-c\", \"while true; do echo pong | nc -l -p 5432; "
                  "done\"]\n",
                  image());
  std::string yaml =
      "image:\n  dockerfile: Dockerfile\n  target: test\n"
      "script: |\n  cat /stage\n  nc db 5432\n  cat README\n"
      "services:\n  db:\n    image:\n      dockerfile: Dockerfile\n      context: db\n"
      "    port: 5432\n";
  repo().commit("main", {{".cicd.yml", yaml},
                         {"Dockerfile", dockerfile},
                         {"db/Dockerfile", db_dockerfile},
                         {"README", "the checkout is in the workspace\n"}});
  put_git_job("built", repo().file_url());
  auto [run, output] = run_to_end("built", on_branch("main"), std::chrono::seconds(180));
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << output;
  EXPECT_TRUE(holds_text(output, "test stage\n"));
  EXPECT_TRUE(lacks_text(output, "production\n"));
  EXPECT_TRUE(holds_text(output, "pong\n"));
  EXPECT_TRUE(holds_text(output, "the checkout is in the workspace\n"));
  EXPECT_TRUE(holds_text(output, "Step 1/")); // the build's output is part of the console

  // The same environment again: nothing is rebuilt (a change to any file of the context would
  // make a new image, most of it from Docker's layer cache).
  auto [run_again, output_again] =
      run_to_end("built", on_branch("main"), std::chrono::seconds(180));
  EXPECT_EQ(run_again.status, "succeeded") << run_again.body << "\n" << output_again;
  EXPECT_TRUE(holds_text(output_again, "is up to date"));
  EXPECT_TRUE(lacks_text(output_again, "Step 1/"));
}

TEST_F(AgentGitJobTest, TheContextLeavesOutWhatDockerignoreSaysAndChangesThereBuildNothing) {
  REQUIRE_REPO();
  repo().commit("main",
                {{".cicd.yml", "image:\n  dockerfile: Dockerfile\nscript: ls -a /context\n"},
                 {"Dockerfile", fmt::format("FROM {}\nCOPY . /context\n", image())},
                 {".dockerignore", "docs\n*.secret\n"},
                 {"app.c", "int main() {}\n"},
                 {"docs/guide.md", "how to\n"},
                 {"local.secret", "hunter2\n"}});
  put_git_job("ignoring", repo().file_url());
  auto [run, output] = run_to_end("ignoring", on_branch("main"), std::chrono::seconds(120));
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << output;
  EXPECT_TRUE(holds_text(output, "app.c\n"));
  EXPECT_TRUE(lacks_text(output, "docs\n"));
  EXPECT_TRUE(lacks_text(output, "local.secret"));

  // A change to a file the context leaves out changes nothing the build sees: no build.
  repo().commit("main", {{"docs/guide.md", "how to, again\n"}});
  auto [run_again, output_again] =
      run_to_end("ignoring", on_branch("main"), std::chrono::seconds(120));
  EXPECT_EQ(run_again.status, "succeeded") << run_again.body << "\n" << output_again;
  EXPECT_TRUE(holds_text(output_again, "is up to date"));
}

TEST_F(AgentGitJobTest, AFailedImageBuildErrorsTheRunWithTheBuildsLastLines) {
  REQUIRE_REPO();
  repo().commit("main", {{".cicd.yml", "image:\n  dockerfile: Dockerfile\nscript: true\n"},
                         {"Dockerfile", fmt::format("FROM {}\nRUN echo compiling the world && "
                                                    "exit 3\n",
                                                    image())}});
  put_git_job("broken-build", repo().file_url());
  auto id = trigger("broken-build", on_branch("main"));
  auto run = wait_for_end("broken-build", id, std::chrono::seconds(120));
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(run.reason.starts_with("image build failed")) << run.reason;
  EXPECT_TRUE(holds_text(run.reason, "compiling the world")) << run.reason;
  EXPECT_TRUE(holds_text(console("broken-build", id), "compiling the world"));
}

TEST_F(AgentGitJobTest, AMissingSecretNamedInTheConfigErrorsTheRunNamingIt) {
  REQUIRE_REPO();
  repo().commit("main", {{".cicd.yml", config("echo never", "secrets: [DB_PASSWORD, API_KEY]\n")}});
  put_git_job("needs-secrets", repo().file_url());
  auto put = call(Verb::put, "/jobs/needs-secrets/secrets/API_KEY", R"({"value":"k3y-value"})");
  ASSERT_EQ(put.status, 201) << put.body;
  auto id = trigger("needs-secrets", on_branch("main"));
  auto run = wait_for_end("needs-secrets", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "missing secret(s) DB_PASSWORD")) << run.reason;
  EXPECT_TRUE(lacks_text(run.reason, "API_KEY")) << run.reason;
}

TEST_F(AgentGitJobTest, BadTriggersAreRefusedAndStoreNothing) {
  REQUIRE_REPO();
  auto sha = repo().commit("main", {{".cicd.yml", config("true")}});
  repo().commit("broken",
                {{".cicd.yml", fmt::format("image: {}\nscript: true\nscirpt: typo\n", image())}});
  put_git_job("checked", repo().file_url());
  put_git_job("elsewhere", repo().file_url(), R"("configPath": "ci/absent.yml")");

  auto unknown_branch = refused_trigger("checked", on_branch("feature/nope"));
  EXPECT_TRUE(is_problem(unknown_branch, 422));
  EXPECT_TRUE(holds_text(unknown_branch.body, "feature/nope"));

  std::string absent(40, 'a');
  auto unknown_commit = refused_trigger("checked", on_commit(absent));
  EXPECT_TRUE(is_problem(unknown_commit, 422));
  EXPECT_TRUE(holds_text(unknown_commit.body, absent));

  auto invalid = refused_trigger("checked", on_branch("broken"));
  EXPECT_TRUE(is_problem(invalid, 422));
  EXPECT_TRUE(holds_text(invalid.body, ".cicd.yml:3")) << invalid.body; // the file and line
  EXPECT_TRUE(holds_text(invalid.body, "scirpt"));

  auto missing = refused_trigger("elsewhere", on_branch("main"));
  EXPECT_TRUE(is_problem(missing, 422, "configPath"));
  EXPECT_TRUE(holds_text(missing.body, "ci/absent.yml does not exist at commit " + sha));

  // A remote that does not answer: 502, naming it.
  auto nowhere = fmt::format("git://127.0.0.1:{}/repo.git", free_port());
  put_git_job("unreachable", nowhere);
  auto unreachable = refused_trigger("unreachable", on_branch("main"));
  EXPECT_TRUE(is_problem(unreachable, 502)) << unreachable.body;
  EXPECT_TRUE(holds_text(unreachable.body, nowhere));

  // The good commit still runs.
  auto id = trigger("checked", on_commit(sha));
  EXPECT_EQ(wait_for_end("checked", id).status, "succeeded");
}

TEST_F(AgentGitJobTest, AJobRunningAsAnUnprivilegedUserOwnsItsWorkspace) {
  REQUIRE_REPO();
  repo().commit("main", {{".cicd.yml", config("id -u\ntouch made-by-the-job\nls made-by-the-job "
                                              "committed.txt",
                                              "user: \"1000:1000\"\n")},
                         {"committed.txt", "x"}});
  put_git_job("as-user", repo().file_url());
  auto [run, output] = run_to_end("as-user", on_branch("main"));
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << output;
  EXPECT_TRUE(holds_text(output, "1000\n"));

  // A user named in the image's passwd ("nobody" in busybox's) is looked up in the container.
  repo().commit("named", {{".cicd.yml", config("id -u\ntouch made-by-the-job", "user: nobody\n")}});
  auto [named_run, named_output] = run_to_end("as-user", on_branch("named"));
  EXPECT_EQ(named_run.status, "succeeded") << named_run.body << "\n" << named_output;
  EXPECT_TRUE(holds_text(named_output, "65534\n"));
}

TEST_F(AgentGitJobTest, APrivateRepositoryOverSshWithTheJobsDeployKey) {
  REQUIRE_REPO();
  repo().commit("main", {{".cicd.yml", config("cat secret-sauce.txt")},
                         {"secret-sauce.txt", "reached over ssh\n"}});
  TestSshd sshd;
  if (!sshd.started()) {
    return;
  }
  put_git_job("private", sshd.url(repo().bare_path()));
  // Without a key the server refuses us: 502, and nothing is stored.
  auto refused = refused_trigger("private", on_branch("main"));
  EXPECT_TRUE(is_problem(refused, 502)) << refused.body;

  auto made = call(Verb::post, "/jobs/private/ssh-key");
  ASSERT_EQ(made.status, 201) << made.body;
  auto public_key = string_member(parse_json(made.body), "publicKey");
  ASSERT_TRUE(public_key.starts_with("ssh-ed25519 ")) << made.body;
  EXPECT_TRUE(string_member(parse_json(made.body), "fingerprint").starts_with("SHA256:"));
  sshd.authorize(public_key);

  auto [run, output] = run_to_end("private", on_branch("main"));
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << output;
  EXPECT_TRUE(holds_text(output, "reached over ssh\n"));

  // The private half never leaves the server.
  auto shown = call(Verb::get, "/jobs/private/ssh-key", {}, "read");
  EXPECT_EQ(shown.status, 200);
  EXPECT_TRUE(holds_text(shown.body, public_key));
  EXPECT_TRUE(lacks_text(responses_seen(), "PRIVATE KEY"));
  EXPECT_TRUE(lacks_text(standalone().log(), "PRIVATE KEY"));
  EXPECT_TRUE(lacks_text(output, "PRIVATE KEY"));
  EXPECT_EQ(call(Verb::delete_, "/jobs/private/ssh-key").status, 204);
  EXPECT_TRUE(is_problem(call(Verb::get, "/jobs/private/ssh-key", {}, "read"), 404));

  // The server's host key was pinned at the first contact; an admin can forget it.
  auto pinned = call(Verb::get, "/settings/ssh-host-keys", {}, "read");
  EXPECT_EQ(pinned.status, 200);
  EXPECT_TRUE(holds_text(pinned.body, R"({"host":")" + sshd.host() + R"(","fingerprint":")" +
                                          sshd.host_key_fingerprint() + "\""));
  EXPECT_EQ(call(Verb::delete_, "/settings/ssh-host-keys/" + sshd.host()).status, 204);
  EXPECT_TRUE(is_problem(call(Verb::delete_, "/settings/ssh-host-keys/" + sshd.host()), 404));
  EXPECT_TRUE(
      holds_text(call(Verb::get, "/settings/ssh-host-keys", {}, "read").body, R"({"items":[]})"));
}

} // namespace
} // namespace cicd::test

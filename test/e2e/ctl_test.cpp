// `cicd ctl` end to end against a real `cicd standalone`: every command, its exit codes and
// its output formats parsed back; the config file and its contexts; --follow across a dropped
// connection; secrets that never reach argv or any output.
#include "agent_fixture.hpp"

#include "support/ctl_user.hpp"
#include "support/git_repos.hpp"
#include "support/tcp_proxy.hpp"

#include <yaml-cpp/yaml.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace cicd::test {
namespace {
using namespace std::chrono_literals;

class CtlTest : public AgentTest {
protected:
  std::string server() { return "http://127.0.0.1:" + std::to_string(standalone().port()); }
  CtlUser admin() { return CtlUser(server(), standalone().token("admin")); }
};

std::vector<std::string> names_in_json(const std::string& text) {
  std::vector<std::string> names;
  auto document = parse_json(text);
  EXPECT_TRUE(document.IsArray()) << text;
  if (document.IsArray()) {
    for (const auto& item : document.GetArray()) {
      names.push_back(string_member(item, "name"));
    }
  }
  return names;
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(CtlTest, LoginKeepsTheTokenInAPrivateFileAndContextsChooseTheServer) {
  CtlUser fresh("", ""); // no CICD_SERVER, no CICD_TOKEN
  auto nothing = fresh.run({"jobs", "list"});
  EXPECT_EQ(nothing.exit_code, 3);
  EXPECT_TRUE(holds_text(nothing.err, "no server: give --server URL, set CICD_SERVER, or run "
                                      "`cicd ctl login`"));

  auto refused = fresh.run({"login", "--server", server()}, "not-a-token\n");
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(holds_text(refused.err, "cicd ctl: the server refused the token"));
  auto config = fresh.home() / ".config" / "cicd" / "config";
  EXPECT_FALSE(std::filesystem::exists(config)) << "a refused login was saved";

  auto token = standalone().token("read");
  auto login = fresh.run({"login", "--server", server() + "/", "--context", "local"}, token + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_TRUE(holds_text(login.out, "logged in to " + server() + " (context local"));
  EXPECT_TRUE(lacks_text(login.out + login.err, token));
  struct stat info {};
  ASSERT_EQ(::stat(config.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto saved = YAML::LoadFile(config.string());
  EXPECT_EQ(saved["current-context"].as<std::string>(), "local");
  EXPECT_EQ(saved["contexts"]["local"]["server"].as<std::string>(), server());
  EXPECT_EQ(saved["contexts"]["local"]["token"].as<std::string>(), token);

  EXPECT_EQ(fresh.run({"jobs", "list"}).exit_code, 0) << "the saved context is not used";
  auto unknown = fresh.run({"jobs", "list", "--context", "elsewhere"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_TRUE(holds_text(unknown.err, "no context named 'elsewhere'"));
  auto down = fresh.run({"jobs", "list", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(down.exit_code, 4);
  EXPECT_TRUE(holds_text(down.err, "cicd ctl: cannot reach http://127.0.0.1:1: "));
}

TEST_F(CtlTest, JobsListGetDeleteInEveryFormat) {
  put_job("build", freestyle_job("echo build"));
  put_job("deploy", freestyle_job("echo deploy", R"("description": "to production")"));
  auto user = admin();

  auto table = user.run({"jobs", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(
      table.out.starts_with("NAME    TYPE       LAST RUN  UPDATED              DESCRIPTION\n"))
      << table.out;
  EXPECT_TRUE(holds_text(table.out, "\ndeploy  freestyle  -         "));
  EXPECT_TRUE(holds_text(table.out, "  to production\n"));
  EXPECT_TRUE(lacks_text(table.out, "\x1b")) << "colour when stdout is not a terminal";

  auto json = user.run({"jobs", "list", "-o", "json"});
  EXPECT_EQ(names_in_json(json.out), (std::vector<std::string>{"build", "deploy"}));
  auto yaml = YAML::Load(user.run({"jobs", "list", "-o", "yaml"}).out);
  ASSERT_TRUE(yaml.IsSequence());
  EXPECT_EQ(yaml[1]["name"].as<std::string>(), "deploy");
  EXPECT_EQ(yaml[1]["description"].as<std::string>(), "to production");
  EXPECT_EQ(yaml[1]["env"].size(), 0u);

  auto got = user.run({"jobs", "get", "deploy", "-o", "json"});
  auto document = parse_json(got.out);
  EXPECT_EQ(string_member(document, "description"), "to production");
  auto as_yaml = YAML::Load(user.run({"jobs", "get", "deploy"}).out);
  EXPECT_EQ(as_yaml["type"].as<std::string>(), "freestyle");
  EXPECT_EQ(as_yaml["etag"].as<std::string>(), string_member(document, "etag"));

  auto deleted = user.run({"jobs", "delete", "build"});
  EXPECT_EQ(deleted.exit_code, 0);
  EXPECT_EQ(deleted.out, "deleted job build\n");
  auto gone = user.run({"jobs", "get", "build"});
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_EQ(gone.err, "cicd ctl: there is no job named 'build'\n");
  auto bad_format = user.run({"jobs", "list", "-o", "xml"});
  EXPECT_EQ(bad_format.exit_code, 3);
  EXPECT_TRUE(holds_text(bad_format.err, "-o must be table, json or yaml, not 'xml'"));
}

TEST_F(CtlTest, RunWaitTellsTheOutcomeByItsExitCode) {
  put_job("passes", freestyle_job("echo fine"));
  put_job("fails", freestyle_job("exit 3"));
  put_job("slow", freestyle_job("sleep 30", R"("timeout": "1s")"));
  auto user = admin();

  auto passed = user.run({"run", "passes", "--branch", "main", "--wait"});
  EXPECT_EQ(passed.exit_code, 0) << passed.err;
  EXPECT_EQ(passed.out, "passes/1\n");
  EXPECT_TRUE(holds_text(passed.err, "passes/1 succeeded in "));

  auto failed = user.run({"run", "fails", "--commit", std::string(k_zero_sha), "--wait"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.out, "fails/2\n") << "run ids are counted over every job";
  EXPECT_TRUE(holds_text(failed.err, "fails/2 failed (exit code 3) in "));

  auto timed_out = user.run({"run", "slow", "--branch", "main", "--wait"});
  EXPECT_EQ(timed_out.exit_code, 2);
  EXPECT_TRUE(holds_text(timed_out.err, "slow/3 timed_out"));

  auto json = user.run({"run", "passes", "--branch", "main", "--wait", "-o", "json"});
  EXPECT_EQ(json.exit_code, 0);
  auto run = parse_json(json.out);
  EXPECT_EQ(string_member(run, "status"), "succeeded") << json.out;

  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"run", "passes"}, "run needs the revision: --branch B or --commit SHA"},
           {{"run", "passes", "--branch", "a", "--commit", "b"}, "give --branch or --commit"},
           {{"run", "passes", "--branch", "a", "--bogus"}, "unknown option --bogus"},
           {{"run"}, "missing JOB"},
           {{"runs", "get", "passes"}, "'passes' is not a run: write JOB/ID"}}) {
    auto usage = user.run(args);
    EXPECT_EQ(usage.exit_code, 3) << usage.err;
    EXPECT_TRUE(holds_text(usage.err, message));
  }
  auto unknown = user.run({"run", "nothing", "--branch", "main"});
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_EQ(unknown.err, "cicd ctl: there is no job named 'nothing'\n");
}

TEST_F(CtlTest, TypedParametersRunsListGetAndAbort) {
  put_job("params", freestyle_job("echo \"$COUNT $FAST $NAME\"\nsleep 30",
                                  R"("parameters": {"COUNT": {"type": "integer", "default": 1},
                                     "FAST": {"type": "bool", "default": false},
                                     "NAME": {"type": "string", "default": "x"}})"));
  auto user = admin();
  auto started = user.run(
      {"run", "params", "--branch", "main", "-p", "COUNT=3", "-p", "FAST=true", "-p", "NAME=a b"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "params/1\n");
  EXPECT_TRUE(holds_text(wait_for_console("params", 1, "3 true a b\n"), "3 true a b\n"));

  auto listed = user.run({"runs", "list", "params"});
  EXPECT_TRUE(listed.out.starts_with("RUN       STATUS   TRIGGER  REVISION  QUEUED")) << listed.out;
  EXPECT_TRUE(holds_text(listed.out, "params/1  running  api      main"));
  auto got = YAML::Load(user.run({"runs", "get", "params/1"}).out);
  EXPECT_EQ(got["parameters"]["COUNT"].as<int>(), 3);
  EXPECT_TRUE(got["parameters"]["FAST"].as<bool>());
  EXPECT_EQ(got["parameters"]["NAME"].as<std::string>(), "a b");

  auto aborted = user.run({"runs", "abort", "params/1"});
  EXPECT_EQ(aborted.exit_code, 0) << aborted.err;
  EXPECT_EQ(aborted.out, "params/1 is stopping (abort requested)\n");
  auto waited = user.run({"logs", "params/1", "-f"});
  EXPECT_EQ(waited.exit_code, 2) << "an aborted run";
  EXPECT_TRUE(holds_text(waited.err, "params/1 aborted"));
  auto listed_json = parse_json(user.run({"runs", "list", "params", "-o", "json"}).out);
  ASSERT_TRUE(listed_json.IsArray());
  EXPECT_EQ(string_member(listed_json[0], "status"), "aborted");
  auto bad_param = user.run({"run", "params", "--branch", "main", "-p", "COUNT=many"});
  EXPECT_EQ(bad_param.exit_code, 4);
  EXPECT_TRUE(holds_text(bad_param.err, "COUNT")) << bad_param.err;
}

TEST_F(CtlTest, FollowPrintsTheConsoleOnceAcrossADroppedConnection) {
  put_job("ticker", freestyle_job("for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; sleep 0.5; "
                                  "done"));
  TcpProxy proxy(standalone().port());
  CtlUser user("http://127.0.0.1:" + std::to_string(proxy.port()), standalone().token("admin"));
  BackgroundCtl follow(user, {"run", "ticker", "--branch", "main", "--follow"});
  auto until = std::chrono::steady_clock::now() + 60s;
  while (follow.out().find("line-3\n") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(holds_text(follow.out(), "line-3\n"));
  EXPECT_GE(proxy.cut(), 1) << "no connection was open to cut";
  EXPECT_EQ(follow.wait(60s), 0) << follow.err();
  std::string expected = "ticker/1\n";
  for (int i = 1; i <= 10; ++i) {
    expected += "line-" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(follow.out(), expected) << "a line was lost or printed twice";
  EXPECT_EQ(console("ticker", 1), expected.substr(9));
  EXPECT_TRUE(holds_text(follow.err(), "ticker/1 succeeded"));
}

TEST_F(CtlTest, LogsRemoveTerminalControlSequencesWhenNotATerminal) {
  put_job("noisy",
          freestyle_job(R"(printf 'a\033]0;new title\007b \033[31mred\033[0m\033[2J c\n')"));
  auto id = trigger("noisy");
  ASSERT_EQ(wait_for_end("noisy", id).status, "succeeded");
  auto logs = admin().run({"logs", "noisy/" + std::to_string(id)});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_EQ(logs.out, "ab red c\n");
  EXPECT_TRUE(holds_text(console("noisy", id), "\x1b[31mred")) << "the stored console changed";
}

TEST_F(CtlTest, SecretsComeFromStdinOrAFileAndNeverShow) {
  put_job("uses-secret",
          freestyle_job("echo \"key=$API_KEY cert=$CERT\"", R"("secrets": ["API_KEY", "CERT"])"));
  auto user = admin();
  const std::string value = "s3cr3t-value-42";
  auto set = user.run({"secrets", "set", "uses-secret", "API_KEY"}, value + "\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "secret API_KEY of uses-secret created\n");
  TempDir files("cicd-ctl-secret");
  std::ofstream(files.path() / "cert") << "cert-material-\n-line-two";
  auto from_file = user.run(
      {"secrets", "set", "uses-secret", "CERT", "--from-file", (files.path() / "cert").string()});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  auto again = user.run({"secrets", "set", "uses-secret", "API_KEY"}, value);
  EXPECT_EQ(again.out, "secret API_KEY of uses-secret replaced\n");
  auto on_argv = user.run({"secrets", "set", "uses-secret", "API_KEY", "--value", value});
  EXPECT_EQ(on_argv.exit_code, 3);
  EXPECT_TRUE(holds_text(on_argv.err, "never given on the command line"));

  auto listed = user.run({"secrets", "list", "uses-secret", "-o", "json"});
  EXPECT_EQ(names_in_json(listed.out), (std::vector<std::string>{"API_KEY", "CERT"}));
  auto run = user.run({"run", "uses-secret", "--branch", "main", "--follow"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(holds_text(run.out, "key=*** cert=***"));
  for (const auto& output :
       {set.out, set.err, again.out, on_argv.err, listed.out, run.out, run.err, responses_seen()}) {
    EXPECT_TRUE(lacks_text(output, value));
    EXPECT_TRUE(lacks_text(output, "cert-material"));
  }
  auto deleted = user.run({"secrets", "delete", "uses-secret", "CERT"});
  EXPECT_EQ(deleted.out, "secret CERT of uses-secret deleted\n");
}

TEST_F(CtlTest, AgentsTokensAndScopes) {
  auto user = admin();
  auto agents = user.run({"agents", "list", "-o", "json"});
  ASSERT_EQ(agents.exit_code, 0) << agents.err;
  auto listed = parse_json(agents.out);
  ASSERT_TRUE(listed.IsArray() && listed.Size() == 1) << agents.out;
  auto agent = string_member(listed[0], "id");
  EXPECT_EQ(agent, standalone().agent_id());
  EXPECT_TRUE(holds_text(user.run({"agents", "list"}).out, agent + "  "));

  auto created = user.run({"token", "create", "--sub", "reader", "--scope", "read", "--ttl", "1h"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto token = created.out.substr(0, created.out.find('\n'));
  CtlUser reader(server(), token);
  EXPECT_EQ(reader.run({"jobs", "list"}).exit_code, 0);
  auto refused = reader.run({"token", "create", "--sub", "x", "--scope", "admin"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(holds_text(refused.err, "ask an admin for a token with the scope it needs"));
  auto drain_refused = reader.run({"agents", "drain", agent});
  EXPECT_EQ(drain_refused.exit_code, 4);

  auto described = YAML::Load(
      user.run({"token", "create", "--sub", "bot", "--scope", "trigger", "-o", "yaml"}).out);
  EXPECT_EQ(described["sub"].as<std::string>(), "bot");
  EXPECT_EQ(described["scope"].as<std::string>(), "trigger");
  EXPECT_FALSE(described["token"].as<std::string>().empty());
  auto bad_scope = user.run({"token", "create", "--sub", "x", "--scope", "root"});
  EXPECT_EQ(bad_scope.exit_code, 4);
  EXPECT_EQ(bad_scope.err, "cicd ctl: 'scope' must be read, trigger or admin\n");

  auto drained = user.run({"agents", "drain", agent});
  EXPECT_EQ(drained.exit_code, 0) << drained.err;
  EXPECT_TRUE(holds_text(user.run({"agents", "list"}).out, "  yes  "));
}

TEST_F(CtlTest, ResultsListAndDownload) {
  put_job("reports", freestyle_job("mkdir -p out\necho '<testsuite><testcase/><testcase><failure/>"
                                   "</testcase></testsuite>' > out/t.xml\necho hello > r.txt",
                                   R"("results": {"report": {"path": "r.txt"},
                                        "junit": {"path": "out", "type": "junit"}})"));
  auto id = trigger("reports");
  ASSERT_EQ(wait_for_end("reports", id).status, "succeeded");
  auto run = "reports/" + std::to_string(id);
  auto user = admin();
  auto table = user.run({"results", "list", run});
  EXPECT_TRUE(holds_text(table.out, "junit    application/zip"));
  EXPECT_TRUE(holds_text(table.out, "1 passed, 1 failed, 0 errors, 0 skipped"));
  auto json = parse_json(user.run({"results", "list", run, "-o", "json"}).out);
  EXPECT_EQ(json["items"].Size(), 3u);

  TempDir dir("cicd-ctl-download");
  auto one = user.run({"results", "download", run, "report", "-o", (dir.path() / "r").string()});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(file_text(dir.path() / "r"), "hello\n");
  auto to_stdout = user.run({"results", "download", run, "report", "-o", "-"});
  EXPECT_EQ(to_stdout.out, "hello\n");
  auto all = user.run({"results", "download", run, "-o", (dir.path() / "all").string()});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(file_text(dir.path() / "all" / "report"), "hello\n");
  EXPECT_TRUE(holds_text(
      read_archive_files(file_text(dir.path() / "all" / "junit.zip"))["out/t.xml"], "<testsuite>"));
  EXPECT_TRUE(holds_text(file_text(dir.path() / "all" / "console"), "stored result"));
  auto missing = user.run({"results", "download", run, "nope"});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_TRUE(holds_text(missing.err, "has no result named 'nope'"));
}

TEST_F(CtlTest, CompletionScriptsAndHelp) {
  auto user = admin();
  auto bash = user.run({"completion", "bash"});
  EXPECT_EQ(bash.exit_code, 0);
  TempDir dir("cicd-ctl-completion");
  std::ofstream(dir.path() / "cicd.bash") << bash.out;
  EXPECT_EQ(
      run_shell("bash -n " + shell_quote((dir.path() / "cicd.bash").string()) + " && echo ok"),
      "ok\n");
  EXPECT_TRUE(user.run({"completion", "zsh"}).out.starts_with("#compdef cicd\n"));
  EXPECT_EQ(user.run({"completion", "fish"}).exit_code, 3);
  auto help = user.run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(holds_text(help.out, "run JOB [--branch B | --commit SHA]"));
  auto unknown = user.run({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(unknown.err, "cicd ctl: unknown command 'frobnicate'\n  see `cicd ctl --help`\n");
}

} // namespace
} // namespace cicd::test

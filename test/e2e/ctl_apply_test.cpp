// `cicd ctl apply` and `cicd ctl export` end to end: the real binary against a real
// `cicd standalone`, with the token in CICD_TOKEN and HOME in a temp dir. The plan, the writes
// and what the server then holds (read back through the API); a change on the server between
// the plan and the writes; an invalid file or a bad secret reference that changes nothing; the
// export → apply round trip; PUT …?dryRun=true and the HTTP sequence of docs/terraform.md.
#include "agent_fixture.hpp"

#include "support/ctl_user.hpp"

#include "cicd/crypto/digest.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

namespace cicd::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class CtlApplyTest : public AgentTest {
protected:
  void SetUp() override {
    AgentTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    m_files = std::make_unique<TempDir>("cicd-apply-files");
    m_user = std::make_unique<CtlUser>(fmt::format("http://127.0.0.1:{}", standalone().port()),
                                       standalone().token("admin"));
  }

  // `cicd ctl <args>` with the server and an admin token in its environment, plus `env`.
  CommandResult ctl(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
    return m_user->run(args, {}, env);
  }

  CommandResult apply(const std::string& file, std::vector<std::string> more = {},
                      const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"apply", "-f", path(file).string()};
    args.insert(args.end(), more.begin(), more.end());
    return ctl(args, env);
  }

  fs::path path(const std::string& name) const { return m_files->path() / name; }

  fs::path write(const std::string& name, const std::string& text) {
    auto file = path(name);
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file;
  }

  rapidjson::Document job(const std::string& name) {
    auto response = call(Verb::get, "/jobs/" + name);
    EXPECT_EQ(response.status, 200) << response.body;
    return parse_json(response.body);
  }
  int job_status(const std::string& name) { return call(Verb::get, "/jobs/" + name).status; }

  std::vector<std::string> secret_names(const std::string& job) {
    auto document = parse_json(call(Verb::get, "/jobs/" + job + "/secrets").body);
    std::vector<std::string> names;
    if (document.IsObject() && document.HasMember("items")) {
      for (const auto& item : document["items"].GetArray()) {
        names.push_back(string_member(item, "name"));
      }
    }
    return names;
  }

  // Everything apply could change, as one comparable text.
  std::string server_state() {
    std::string state;
    for (const auto* target : {"/jobs?limit=200", "/settings", "/settings/resource-classes"}) {
      state += std::string(target) + " " + call(Verb::get, target).body + "\n";
    }
    auto jobs = parse_json(call(Verb::get, "/jobs?limit=200").body);
    for (const auto& item : jobs["items"].GetArray()) {
      auto name = string_member(item, "name");
      state += name + " secrets " + call(Verb::get, "/jobs/" + name + "/secrets").body + "\n";
    }
    return state;
  }

private:
  std::unique_ptr<TempDir> m_files;
  std::unique_ptr<CtlUser> m_user;
};

// One line and a hint at most, never a problem document or an exception's what().
testing::AssertionResult is_one_clear_error(const CommandResult& result, int exit_code) {
  auto lines = std::count(result.err.begin(), result.err.end(), '\n');
  bool raw = result.err.find("\"detail\"") != std::string::npos ||
             result.err.find("what()") != std::string::npos;
  if (result.exit_code != exit_code || lines < 1 || lines > 2 || !result.err.starts_with("cicd ") ||
      raw) {
    return testing::AssertionFailure()
           << "exit " << result.exit_code << " (expected " << exit_code << "), stderr:\n"
           << result.err << "stdout:\n"
           << result.out;
  }
  return testing::AssertionSuccess();
}

constexpr const char* k_first_version = R"(# the first version
resourceClasses:
  large: {cpus: 2, memoryMiB: 4096}
settings:
  umbrellaTimeout: 2h
jobs:
  build:
    type: freestyle
    description: builds the app
    image: debian:12
    script: [make deps, make]
    timeout: 10m
  lint:
    type: freestyle
    image: debian:12
    script: make lint
)";

constexpr const char* k_second_version = R"(resourceClasses:
  large: {cpus: 2, memoryMiB: 4096}
settings:
  umbrellaTimeout: 2h
jobs:
  build:
    type: freestyle
    image: debian:12
    script: [make deps, make]
    timeout: 30m
    env: {FOO: bar}
  lint:
    type: freestyle
    image: debian:12
    script: make lint
)";

TEST_F(CtlApplyTest, PlansCreatesThenUpdatesWithAFieldDiffAndASecondApplyChangesNothing) {
  write("jobs.yaml", k_first_version);
  auto created = apply("jobs.yaml");
  ASSERT_EQ(created.exit_code, 0) << created.err << created.out;
  EXPECT_TRUE(holds_text(created.out, "+ create resource class large\n"));
  EXPECT_TRUE(holds_text(created.out, "~ update settings\n  ~ umbrellaTimeout: \"1h\" → \"2h\"\n"));
  EXPECT_TRUE(holds_text(created.out, "+ create job build\n"));
  EXPECT_TRUE(holds_text(created.out, "+ create job lint\n"));
  EXPECT_TRUE(holds_text(created.out, "3 to create, 1 to update, 0 to delete"));
  EXPECT_TRUE(holds_text(created.out, "applied: 3 created, 1 updated, 0 deleted"));

  auto build = job("build");
  EXPECT_EQ(string_member(build, "timeout"), "10m");
  EXPECT_EQ(string_member(build, "script"), "make deps\nmake");
  EXPECT_EQ(string_member(build["labels"], "cicd.io/managed-by"), "cicd-ctl-apply");
  EXPECT_EQ(string_member(build["labels"], "cicd.io/apply-set"), "jobs") << "the file's base name";
  EXPECT_EQ(string_member(parse_json(call(Verb::get, "/settings").body), "umbrellaTimeout"), "2h");
  auto large = parse_json(call(Verb::get, "/settings/resource-classes/large").body);
  EXPECT_EQ(large["memoryMiB"].GetInt64(), 4096);

  auto again = apply("jobs.yaml");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(holds_text(again.out, "= job build unchanged\n"));
  EXPECT_TRUE(holds_text(again.out, "= resource class large unchanged\n"));
  EXPECT_TRUE(holds_text(again.out, "= settings unchanged\n"));
  EXPECT_TRUE(holds_text(again.out, "no changes"));
  EXPECT_TRUE(lacks_text(again.out, "applied:"));
  EXPECT_EQ(string_member(job("build"), "etag"), string_member(build, "etag"));

  write("jobs.yaml", k_second_version);
  auto updated = apply("jobs.yaml");
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_TRUE(holds_text(updated.out, "~ update job build\n  - description\n  + env.FOO: \"bar\"\n"
                                      "  ~ timeout: \"10m\" → \"30m\"\n"));
  EXPECT_TRUE(holds_text(updated.out, "= job lint unchanged\n"));
  EXPECT_TRUE(holds_text(updated.out, "0 to create, 1 to update, 0 to delete"));
  build = job("build");
  EXPECT_EQ(string_member(build, "timeout"), "30m");
  EXPECT_EQ(string_member(build, "description"), "");
  EXPECT_EQ(string_member(build["env"], "FOO"), "bar");
  EXPECT_TRUE(holds_text(apply("jobs.yaml").out, "no changes"));
}

TEST_F(CtlApplyTest, DryRunPrintsThePlanAndChangesNothing) {
  write("jobs.yaml", k_first_version);
  ASSERT_EQ(apply("jobs.yaml").exit_code, 0);
  write("jobs.yaml", std::string(k_second_version) + R"(  added:
    type: git
    repoUrl: https://git.example.org/app.git
)");
  auto before = server_state();
  auto dry = apply("jobs.yaml", {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(holds_text(dry.out, "+ create job added\n"));
  EXPECT_TRUE(holds_text(dry.out, "  ~ timeout: \"10m\" → \"30m\"\n"));
  EXPECT_TRUE(holds_text(dry.out, "dry run: nothing was changed"));
  EXPECT_EQ(server_state(), before);
  EXPECT_EQ(job_status("added"), 404);
}

TEST_F(CtlApplyTest, PruneDeletesOnlyJobsOfTheSetThatLeftTheFiles) {
  auto freestyle = [](const std::string& name) {
    return fmt::format("  {}: {{type: freestyle, image: debian:12, script: make}}\n", name);
  };
  write("a.yaml", "jobs:\n" + freestyle("a1") + freestyle("a2"));
  write("b.yaml", "jobs:\n" + freestyle("b1"));
  ASSERT_EQ(apply("a.yaml").exit_code, 0);
  ASSERT_EQ(apply("b.yaml").exit_code, 0);
  put_job("by-hand", R"({"type":"freestyle","image":"debian:12","script":"make"})");
  put_job("other-tool", R"({"type":"freestyle","image":"debian:12","script":"make",)"
                        R"("labels":{"cicd.io/apply-set":"a","cicd.io/managed-by":"terraform"}})");

  write("a.yaml", "jobs:\n" + freestyle("a1"));
  auto kept = apply("a.yaml");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_TRUE(holds_text(kept.out, "job a2 of apply set a is no longer in the files: --prune"));
  EXPECT_TRUE(holds_text(kept.out, "no changes"));
  EXPECT_EQ(job_status("a2"), 200);

  auto planned = apply("a.yaml", {"--prune", "--dry-run"});
  EXPECT_TRUE(holds_text(planned.out, "- delete job a2 (apply set a, no longer in the files)\n"));
  EXPECT_EQ(job_status("a2"), 200);

  auto pruned = apply("a.yaml", {"--prune"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_TRUE(holds_text(pruned.out, "deleted job a2\n"));
  EXPECT_EQ(job_status("a2"), 404);
  for (const auto* left : {"a1", "b1", "by-hand", "other-tool"}) {
    EXPECT_EQ(job_status(left), 200) << left;
  }
  EXPECT_TRUE(holds_text(apply("a.yaml", {"--prune"}).out, "no changes"));

  // --set names the set whatever the file is called; a job by hand in the files is adopted.
  write("renamed.yaml", "jobs:\n" + freestyle("b1") + freestyle("by-hand"));
  auto adopted = apply("renamed.yaml", {"--set", "b", "--prune"});
  ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
  EXPECT_TRUE(holds_text(adopted.out, "~ update job by-hand\n  + labels.cicd.io/apply-set: \"b\"\n"
                                      "  + labels.cicd.io/managed-by: \"cicd-ctl-apply\"\n"));
  EXPECT_TRUE(holds_text(adopted.out, "= job b1 unchanged\n"));
  EXPECT_EQ(job_status("a1"), 200) << "set a is not this set";
}

// The test's stand-in for a colleague: while `apply` waits for a secret read from a FIFO (after
// it read the server for its plan, before its first write), `meanwhile` changes the server.
CommandResult apply_while_blocked(const std::function<CommandResult()>& run, const fs::path& fifo,
                                  const std::function<void()>& meanwhile) {
  if (::mkfifo(fifo.c_str(), 0600) != 0) {
    ADD_FAILURE() << "mkfifo " << fifo << ": " << std::strerror(errno);
    return {};
  }
  CommandResult result;
  std::thread applying([&] { result = run(); });
  // Opening for writing without blocking succeeds once apply has the FIFO open for reading.
  int fd = -1;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (fd < 0 && std::chrono::steady_clock::now() < deadline) {
    fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      std::this_thread::sleep_for(20ms);
    }
  }
  if (fd >= 0) {
    meanwhile();
    std::string value = "value-from-the-fifo";
    EXPECT_EQ(::write(fd, value.data(), value.size()), static_cast<ssize_t>(value.size()));
    ::close(fd);
  } else {
    ADD_FAILURE() << "apply never opened " << fifo;
  }
  applying.join();
  return result;
}

TEST_F(CtlApplyTest, AChangeOnTheServerBetweenPlanAndWriteIsRefusedNotOverwritten) {
  write("jobs.yaml", k_first_version);
  ASSERT_EQ(apply("jobs.yaml").exit_code, 0);
  write("jobs.yaml", R"(jobs:
  build:
    type: freestyle
    image: debian:12
    script: make
    timeout: 30m
    secrets:
      TOKEN: {fromFile: token.fifo}
  fresh:
    type: freestyle
    image: debian:12
    script: make
)");
  const std::string by_hand =
      R"({"type":"freestyle","image":"debian:12","script":"make","description":"changed by hand"})";
  auto result = apply_while_blocked([&] { return apply("jobs.yaml"); }, path("token.fifo"),
                                    [&] { put_job("build", by_hand); });
  EXPECT_TRUE(is_one_clear_error(result, 4));
  EXPECT_TRUE(holds_text(result.err, "job build changed on the server since the plan: run apply "
                                     "again"));
  EXPECT_TRUE(holds_text(result.out, "~ update job build\n")) << "the plan came first";
  auto build = job("build");
  EXPECT_EQ(string_member(build, "description"), "changed by hand") << "not overwritten";
  EXPECT_EQ(secret_names("build"), std::vector<std::string>{}) << "nothing after the refusal";
  EXPECT_EQ(job_status("fresh"), 404) << "jobs come in name order: fresh comes after build";

  // A job that appears between the plan and its create is refused too (If-None-Match: *).
  fs::remove(path("token.fifo"));
  write("new.yaml", R"(jobs:
  newcomer:
    type: freestyle
    image: debian:12
    script: make
    secrets:
      TOKEN: {fromFile: token.fifo}
)");
  auto created = apply_while_blocked([&] { return apply("new.yaml"); }, path("token.fifo"),
                                     [&] { put_job("newcomer", by_hand); });
  EXPECT_TRUE(is_one_clear_error(created, 4));
  EXPECT_TRUE(holds_text(created.err, "job newcomer was created on the server since the plan"));
  EXPECT_EQ(string_member(job("newcomer"), "description"), "changed by hand");
}

TEST_F(CtlApplyTest, SecretsFromEnvAndFileReachTheRunAndNeverShowInTheOutput) {
  const std::string from_env = "env-secret-4f1c9a";
  const std::string from_file = "file secret line one\nline two 77e0b2\n";
  write("secrets/deploy.key", from_file);
  write("ci/jobs.yaml", fmt::format(R"(jobs:
  deploy:
    type: freestyle
    image: {}
    script: |
      printf %s "$FROM_ENV" | sha256sum
      printf %s "$FROM_FILE" | sha256sum
    secrets:
      FROM_ENV: {{fromEnv: DEPLOY_TOKEN}}
      FROM_FILE: {{fromFile: ../secrets/deploy.key}}
  app:
    type: git
    repoUrl: https://git.example.org/app.git
    gitCredentialSecret: GIT_TOKEN
    secrets:
      GIT_TOKEN: {{fromEnv: DEPLOY_TOKEN}}
)",
                                    image()));
  auto result = apply("ci/jobs.yaml", {}, {{"DEPLOY_TOKEN", from_env}});
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_TRUE(holds_text(result.out, "  + secret FROM_ENV (from $DEPLOY_TOKEN)\n"));
  EXPECT_TRUE(holds_text(result.out, "  + secret FROM_FILE (from "));
  for (const auto& output : {result.out, result.err}) {
    EXPECT_TRUE(lacks_text(output, from_env));
    EXPECT_TRUE(lacks_text(output, "line two"));
  }
  EXPECT_EQ(secret_names("deploy"), (std::vector<std::string>{"FROM_ENV", "FROM_FILE"}));
  EXPECT_EQ(secret_names("app"), std::vector<std::string>{"GIT_TOKEN"});
  auto deploy = job("deploy");
  ASSERT_TRUE(deploy["secrets"].IsArray());
  EXPECT_EQ(deploy["secrets"].Size(), 2u) << "a freestyle job's list is the references' keys";
  EXPECT_FALSE(job("app").HasMember("secrets")) << "a git job has no list";

  auto id = trigger("deploy");
  auto run = wait_for_end("deploy", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  auto text = console("deploy", id);
  EXPECT_TRUE(holds_text(text, crypto::sha256_hex(from_env))) << "the value exactly";
  EXPECT_TRUE(holds_text(text, crypto::sha256_hex(from_file))) << "the file's bytes exactly";

  // Present secrets are kept: their references are not even read (the variable is gone now).
  auto kept = apply("ci/jobs.yaml");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_TRUE(holds_text(kept.out, "  = secret FROM_ENV (kept; --update-secrets writes it again)"));
  EXPECT_TRUE(holds_text(kept.out, "no changes"));
  auto rewritten = apply("ci/jobs.yaml", {"--update-secrets"}, {{"DEPLOY_TOKEN", "another-value"}});
  ASSERT_EQ(rewritten.exit_code, 0) << rewritten.err;
  EXPECT_TRUE(holds_text(rewritten.out, "wrote secret FROM_ENV of job deploy\n"));
  EXPECT_TRUE(lacks_text(rewritten.out, "another-value"));
}

TEST_F(CtlApplyTest, ExportThenApplyOfTheExportChangesNothing) {
  write("secret.txt", "a file secret");
  write("jobs.yaml", R"(resourceClasses:
  large: {cpus: 2.5, memoryMiB: 4096}
settings:
  umbrellaTimeout: 3h
  resultRetentionDays: 30
jobs:
  web:
    type: freestyle
    description: "true"
    image: debian:12
    script: [make, make test]
    env: {PORT: "8080", EMPTY: "", FLAG: "yes"}
    services: {db: {image: "postgres:15", port: 5432}}
    results: {junit: {path: build/tests, type: junit}}
    parameters:
      TARGET: {type: choice, choices: [debug, release], default: debug}
      SHARDS: {type: integer, default: 4}
    labels: {team: web}
    secrets:
      NPM_TOKEN: {fromEnv: NPM}
      KEY_FILE: {fromFile: secret.txt}
  app:
    type: git
    repoUrl: https://git.example.org/app.git
    gitCredentialSecret: GIT_TOKEN
    retry: {onInfrastructureError: 2}
    secrets:
      GIT_TOKEN: {fromEnv: NPM}
)");
  ASSERT_EQ(apply("jobs.yaml", {}, {{"NPM", "npm-token-value"}}).exit_code, 0);

  auto exported = ctl({"export", "-o", path("export.yaml").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(holds_text(exported.err, "exported 2 jobs, 2 resource classes and the settings"));
  auto yaml = YAML::LoadFile(path("export.yaml").string());
  auto web = yaml["jobs"]["web"];
  for (const auto* server_only : {"name", "etag", "createdAt", "updatedAt", "href"}) {
    EXPECT_FALSE(web[server_only]) << server_only;
  }
  EXPECT_EQ(web["secrets"]["NPM_TOKEN"]["fromEnv"].as<std::string>(), "CICD_SECRET_WEB_NPM_TOKEN");
  EXPECT_EQ(web["secrets"]["KEY_FILE"]["fromEnv"].as<std::string>(), "CICD_SECRET_WEB_KEY_FILE");
  EXPECT_EQ(yaml["jobs"]["app"]["secrets"]["GIT_TOKEN"]["fromEnv"].as<std::string>(),
            "CICD_SECRET_APP_GIT_TOKEN");
  EXPECT_EQ(web["labels"]["team"].as<std::string>(), "web");
  EXPECT_EQ(yaml["resourceClasses"]["large"]["cpus"].as<double>(), 2.5);
  EXPECT_EQ(yaml["settings"]["umbrellaTimeout"].as<std::string>(), "3h");
  EXPECT_TRUE(lacks_text(exported.out + exported.err, "npm-token-value"));

  // No CICD_SECRET_* variable is set: the secrets exist, so apply does not read them.
  auto round_trip = apply("export.yaml");
  ASSERT_EQ(round_trip.exit_code, 0) << round_trip.err << round_trip.out;
  EXPECT_TRUE(holds_text(round_trip.out, "no changes")) << round_trip.out;

  auto as_json = ctl({"export", "-o", path("export.json").string()});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  std::ifstream in(path("export.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto document = parse_json(text);
  ASSERT_TRUE(document.IsObject());
  EXPECT_EQ(string_member(document["jobs"]["web"]["env"], "FLAG"), "yes");
  EXPECT_EQ(document["settings"]["resultRetentionDays"].GetInt64(), 30);
  auto json_round_trip = apply("export.json");
  ASSERT_EQ(json_round_trip.exit_code, 0) << json_round_trip.err;
  EXPECT_TRUE(holds_text(json_round_trip.out, "no changes")) << json_round_trip.out;

  auto to_stdout = ctl({"export"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(YAML::Load(to_stdout.out)["jobs"]["web"]["env"]["PORT"].as<std::string>(), "8080");
}

TEST_F(CtlApplyTest, AnInvalidFileStoresNothing) {
  put_job("existing", R"({"type":"freestyle","image":"debian:12","script":"make"})");
  const std::string valid = R"(resourceClasses:
  large: {cpus: 2, memoryMiB: 4096}
settings:
  umbrellaTimeout: 2h
jobs:
  aaa-first:
    type: freestyle
    image: debian:12
    script: make
)";
  struct Case {
    std::string name;
    std::string text;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"syntax.yaml", valid + "  broken: [1,\n", 3, "syntax.yaml:11:"},
      {"syntax.json", R"({"jobs": {"a": {"type": "git",}}})", 3, "syntax.json:1:"},
      {"unknown.yaml", valid + "job:\n  x: {}\n", 3, "unknown top-level key 'job'"},
      {"inline.yaml",
       valid + "  bbb:\n    type: git\n    repoUrl: https://x.org/a.git\n"
               "    secrets: {TOKEN: hunter22}\n",
       3, "a secret's value is never written in the file"},
      {"list.yaml",
       valid + "  bbb:\n    type: freestyle\n    image: x\n    script: y\n"
               "    secrets: [TOKEN]\n",
       3, "must be a map of references"},
      {"refused.yaml",
       valid + "  zzz-last:\n    type: freestyle\n    image: x\n    script: y\n"
               "    timeout: soon\n",
       4, "job zzz-last ("},
      {"privileged.yaml",
       valid + "  zzz:\n    type: freestyle\n    image: x\n    script: y\n"
               "    privileged: true\n",
       4, "job zzz ("},
      {"class.yaml", valid + "---\nresourceClasses:\n  large: {cpus: 1, memoryMiB: 64}\n", 3,
       "resource class 'large' is defined twice"},
      {"badclass.yaml", valid + "---\nresourceClasses:\n  tiny: {cpus: 0, memoryMiB: 64}\n", 3,
       "resource class tiny ("},
      {"key.yaml", valid + "settings:\n  consoleLimitMiB: 5\n", 3, "'settings' appears twice"},
      {"setting.yaml", valid + "---\nsettings:\n  consoleLimitMiB: 0\n", 3, "consoleLimitMiB"},
      {"unknownsetting.yaml", valid + "---\nsettings:\n  colour: blue\n", 3,
       "the server has no such setting"},
      {"twice.yaml", valid + "---\njobs:\n  aaa-first: {type: git, repoUrl: https://x.org/a.git}\n",
       3, "twice.yaml:6:3)"},
      {"name.yaml", valid + "  Bad_Name: {type: git, repoUrl: https://x.org/a.git}\n", 3,
       "'Bad_Name'"},
      {"renamed.yaml", valid + "  ccc: {name: ddd, type: git, repoUrl: https://x.org/a.git}\n", 3,
       "'name' differs"},
      {"integrations.yaml", valid + "integrations:\n  github:\n    org: {appId: 1}\n", 4,
       "integrations.yaml:12:5): 'appId' is not a known field"},
  };
  auto before = server_state();
  for (const auto& bad : cases) {
    write(bad.name, bad.text);
    auto result = apply(bad.name);
    EXPECT_TRUE(is_one_clear_error(result, bad.exit_code)) << bad.name;
    EXPECT_TRUE(holds_text(result.err, bad.says)) << bad.name;
    EXPECT_EQ(server_state(), before) << bad.name << " changed the server";
  }
  auto missing = apply("missing.yaml");
  EXPECT_TRUE(is_one_clear_error(missing, 3));
  EXPECT_TRUE(holds_text(missing.err, "no such file or directory"));
  EXPECT_EQ(server_state(), before);
}

TEST_F(CtlApplyTest, BadSecretReferencesFailBeforeAnyWrite) {
  write("short.txt", "abc");
  auto file_with = [](const std::string& reference) {
    return R"(resourceClasses:
  large: {cpus: 2, memoryMiB: 4096}
jobs:
  aaa:
    type: freestyle
    image: debian:12
    script: make
  bbb:
    type: freestyle
    image: debian:12
    script: make
    secrets:
      TOKEN: )" +
           reference + "\n";
  };
  struct Case {
    std::string reference;
    std::map<std::string, std::string> env;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"{fromEnv: NOT_SET_ANYWHERE}", {}, "the environment variable NOT_SET_ANYWHERE is not set"},
      {"{fromFile: missing.txt}", {}, "cannot read "},
      {"{fromFile: short.txt}", {}, "is 3 bytes; a secret is 4 bytes to 64 KiB"},
      {"{fromEnv: SHORT}", {{"SHORT", "ab"}}, "the value from $SHORT is 2 bytes"},
      {"{fromEnv: A, fromFile: b}", {}, "must be exactly one of"},
      {"{fromEnv: \"\"}", {}, "must be a non-empty string"},
      {"{}", {}, "must be exactly one of"},
  };
  auto before = server_state();
  for (const auto& bad : cases) {
    write("jobs.yaml", file_with(bad.reference));
    auto result = apply("jobs.yaml", {}, bad.env);
    EXPECT_TRUE(is_one_clear_error(result, 3)) << bad.reference;
    EXPECT_TRUE(holds_text(result.err, bad.says)) << bad.reference;
    EXPECT_EQ(server_state(), before) << bad.reference << " changed the server";
  }
}

TEST_F(CtlApplyTest, ADirectoryOfFilesAndDocumentsIsOneSet) {
  write("ci/10-classes.yaml", "resourceClasses:\n  large: {cpus: 2, memoryMiB: 4096}\n");
  write("ci/20-jobs.yml", "jobs:\n  one: {type: git, repoUrl: https://x.org/a.git}\n---\n"
                          "jobs:\n  two: {type: git, repoUrl: https://x.org/b.git}\n---\n");
  write("ci/30-more.json",
        R"({"jobs": {"three": {"type": "freestyle", "image": "x", "script": "y",
            "resourceClass": "large"}}})");
  write("ci/README.md", "not read");
  write("extra.yaml", "jobs:\n  four: {type: git, repoUrl: https://x.org/d.git}\n");
  auto result = ctl({"apply", "-f", path("ci").string(), "-f", path("extra.yaml").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(holds_text(result.out, "+ create resource class large\n+ create job four\n"
                                     "+ create job one\n+ create job three\n+ create job two\n"))
      << "classes first, then jobs by name";
  for (const auto* name : {"one", "two", "three", "four"}) {
    EXPECT_EQ(string_member(job(name)["labels"], "cicd.io/apply-set"), "ci") << name;
  }
}

TEST_F(CtlApplyTest, ADryRunPutAnswersTheStoredFormAndStoresNothing) {
  const std::string body = R"({"type":"freestyle","image":"debian:12","script":["a","b"],)"
                           R"("labels":{"team":"web"}})";
  auto dry = call(Verb::put, "/jobs/planned?dryRun=true", body);
  ASSERT_EQ(dry.status, 200) << dry.body;
  auto planned = parse_json(dry.body);
  EXPECT_EQ(string_member(planned, "name"), "planned");
  EXPECT_EQ(string_member(planned, "script"), "a\nb");
  EXPECT_EQ(string_member(planned, "workdir"), "/workspace") << "defaults filled in";
  EXPECT_FALSE(planned.HasMember("createdAt"));
  EXPECT_EQ(call(Verb::get, "/jobs/planned").status, 404) << "nothing stored";

  auto stored = call(Verb::put, "/jobs/planned", body);
  ASSERT_EQ(stored.status, 201);
  auto real = parse_json(stored.body);
  EXPECT_EQ(string_member(real, "etag"), string_member(planned, "etag"));
  for (const auto& member : planned.GetObject()) {
    ASSERT_TRUE(real.HasMember(member.name)) << member.name.GetString();
    EXPECT_TRUE(real[member.name] == member.value) << member.name.GetString();
  }

  auto changed = call(Verb::put, "/jobs/planned?dryRun=true",
                      R"({"type":"freestyle","image":"debian:12","script":"c"})");
  EXPECT_NE(string_member(parse_json(changed.body), "etag"), string_member(real, "etag"));
  EXPECT_EQ(string_member(job("planned"), "script"), "a\nb") << "still the stored one";

  EXPECT_TRUE(is_problem(call(Verb::put, "/jobs/planned?dryRun=true",
                              R"({"type":"freestyle","image":"x","script":"y","timeout":"soon"})"),
                         400, "timeout"));
  EXPECT_TRUE(is_problem(call(Verb::put, "/jobs/planned?dryRun=yes", body), 400, "dryRun"));
  EXPECT_EQ(call(Verb::put, "/jobs/planned?dryRun=true", body, "trigger").status, 403);
}

// What docs/terraform.md's restapi_object resources send: PUT /jobs/{name} to create and to
// update (the name also in the body, the provider's id_attribute), GET to read, DELETE.
TEST_F(CtlApplyTest, TheTerraformRestProviderSequenceIsIdempotent) {
  const std::string body = R"({"name":"tf-job","type":"freestyle","image":"debian:12",)"
                           R"("script":"make test","labels":{"cicd.io/managed-by":"terraform"}})";
  auto first = call(Verb::put, "/jobs/tf-job", body);
  EXPECT_EQ(first.status, 201) << first.body;
  auto second = call(Verb::put, "/jobs/tf-job", body);
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.body, first.body) << "the same document: nothing changed";
  auto read = call(Verb::get, "/jobs/tf-job");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, first.body);
  EXPECT_EQ(call(Verb::delete_, "/jobs/tf-job").status, 204);
  EXPECT_EQ(call(Verb::get, "/jobs/tf-job").status, 404);

  const std::string large = R"({"name":"tf-large","cpus":2,"memoryMiB":4096})";
  auto created = call(Verb::put, "/settings/resource-classes/tf-large", large);
  EXPECT_EQ(created.status, 201) << created.body;
  auto again = call(Verb::put, "/settings/resource-classes/tf-large", large);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, created.body);
  EXPECT_EQ(call(Verb::get, "/settings/resource-classes/tf-large").body, created.body);
  EXPECT_EQ(call(Verb::delete_, "/settings/resource-classes/tf-large").status, 204);
  EXPECT_EQ(call(Verb::get, "/settings/resource-classes/tf-large").status, 404);
}

} // namespace
} // namespace cicd::test

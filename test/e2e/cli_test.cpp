// The `cicd` command line: version, option errors.
#include "support/cicd_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

namespace cicd::test {
namespace {

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Cli, VersionPrintsTheVersion) {
  auto result = run_cicd({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::regex_match(result.out, std::regex("cicd [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << result.out;
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST(Cli, UiWithAServerThatIsNotAnHttpUrlIsOneClearLineAndExit2) {
  auto result = run_cicd({"ui", "--server", "master:8080"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cicd: --server master:8080: give the master's URL, http://HOST:PORT or "
                        "https://HOST:PORT\n");
  auto help = run_cicd({"ui", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: cicd ui"), std::string::npos) << help.out;
}

TEST(Cli, AnAgentWithoutItsDatabaseAndBrokerIsOneClearLineAndExit2) {
  auto result = run_cicd({"agent", "--data-dir", "/tmp/cicd-cli-test-agent"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cicd: --db and --queue are required: the masters' database and broker\n");
  auto inproc = run_cicd({"agent", "--data-dir", "/tmp/cicd-cli-test-agent", "--db",
                          "postgresql:///nowhere", "--queue", "inproc:"});
  EXPECT_EQ(inproc.exit_code, 2);
  EXPECT_EQ(line_count(inproc.err), 1u) << inproc.err;
  EXPECT_NE(inproc.err.find("--queue inproc: works only inside `cicd standalone`"),
            std::string::npos)
      << inproc.err;
}

TEST(Cli, AnUnknownOptionIsOneClearLineAndExit2) {
  auto result = run_cicd({"master", "--bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("--bogus"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--help"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(Cli, AnUnknownRoleIsExit2) {
  auto result = run_cicd({"bogus-role"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("Usage"), std::string::npos) << result.err;
}

TEST(Cli, MasterHelpExits0) {
  auto result = run_cicd({"master", "--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("--listen"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("--data-dir"), std::string::npos) << result.out;
}

TEST(Cli, TokenCreateNeedsAValidScope) {
  TempDir dir("cicd-cli");
  auto bad_scope = run_cicd({"master", "token", "create", "--data-dir", dir.path().string(),
                             "--sub", "someone", "--scope", "root"});
  EXPECT_EQ(bad_scope.exit_code, 2);
  EXPECT_EQ(line_count(bad_scope.err), 1u) << bad_scope.err;
  EXPECT_TRUE(bad_scope.out.empty()) << bad_scope.out;
  auto no_sub =
      run_cicd({"master", "token", "create", "--data-dir", dir.path().string(), "--scope", "read"});
  EXPECT_EQ(no_sub.exit_code, 2);
  EXPECT_NE(no_sub.err.find("sub"), std::string::npos) << no_sub.err;
  EXPECT_TRUE(no_sub.out.empty()) << no_sub.out;
}

TEST(Cli, ABadListenAddressIsExit2) {
  TempDir dir("cicd-cli");
  auto result = run_cicd({"master", "--data-dir", dir.path().string(), "--db",
                          "sqlite://" + (dir.path() / "cicd.db").string(), "--listen", "nowhere"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--listen"), std::string::npos) << result.err;
}

} // namespace
} // namespace cicd::test

#include "cicd/model/names.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cicd::model {
namespace {

using namespace std::string_literals;

TEST(CheckJobName, AcceptsSafeNames) {
  for (std::string name : {"a", "build", "unit-test", "v1.2_x", "0abc", "a..b"}) {
    EXPECT_OK(check_job_name(name)) << name;
  }
  EXPECT_OK(check_job_name(std::string(64, 'a')));
}

TEST(CheckJobName, RefusesUnsafeNamesNamingTheField) {
  const std::vector<std::string> bad = {
      "",   "../x", "..",  "a/b", "a\nb", "a\0b"s, "Build",    ".hidden",
      "-x", "_x",   "a b", "a:b", "a?",   "%2e",   "\xc3\xa9", std::string(65, 'a')};
  for (const auto& name : bad) {
    EXPECT_ERROR_FIELD(check_job_name(name), ErrorCode::invalid_input, "name") << name;
  }
  EXPECT_ERROR_FIELD(check_job_name("../x", "job"), ErrorCode::invalid_input, "job");
}

TEST(CheckEnvName, AcceptsVariableNames) {
  for (std::string name : {"A", "_x", "NPM_TOKEN", "a1", "Path", "CICD", "MY_CICD_X"}) {
    EXPECT_OK(check_env_name(name, "env")) << name;
  }
  EXPECT_OK(check_env_name(std::string(128, 'A'), "env"));
}

TEST(CheckEnvName, RefusesMalformedAndReservedNames) {
  const std::vector<std::string> bad = {
      "",     "1A",   "A=B",      "A-B",        "A B",    "A\0B"s, "A\nB",
      "PATH", "HOME", "HOSTNAME", "LD_PRELOAD", "CICD_X", "CICD_", std::string(129, 'A')};
  for (const auto& name : bad) {
    EXPECT_ERROR_FIELD(check_env_name(name, "env.X"), ErrorCode::invalid_input, "env.X") << name;
  }
  auto reserved = check_env_name("CICD_TOKEN", "secrets[0]");
  ASSERT_ERROR(reserved, ErrorCode::invalid_input);
  EXPECT_NE(reserved.error().message.find("reserved"), std::string::npos);
}

TEST(IsCommitSha, IsFortyHexDigits) {
  EXPECT_TRUE(is_commit_sha("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_TRUE(is_commit_sha("0123456789ABCDEF0123456789ABCDEF01234567"));
  EXPECT_FALSE(is_commit_sha(""));
  EXPECT_FALSE(is_commit_sha("0123456789abcdef0123456789abcdef0123456"));   // 39
  EXPECT_FALSE(is_commit_sha("0123456789abcdef0123456789abcdef012345678")); // 41
  EXPECT_FALSE(is_commit_sha("g123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_sha("main"));
}

TEST(CheckBranchName, AcceptsWhatGitAccepts) {
  for (std::string name : {"main", "master", "feature/x", "release-1.0", "a/b/c", "v1.2.3",
                           "refs/heads/x", "fix_#12", "user@host"}) {
    EXPECT_OK(check_branch_name(name)) << name;
  }
  EXPECT_OK(check_branch_name(std::string(255, 'b')));
}

TEST(CheckBranchName, RefusesWhatGitRefuses) {
  const std::vector<std::string> bad = {"",     "-x",    "/x",    "x/",   "x.",
                                        "a..b", "a//b",  "a@{b",  "@",    "x.lock",
                                        ".x",   "a/.b",  "a b",   "a:b",  "a~1",
                                        "a^2",  "a?",    "a*",    "a[b",  "a\\b",
                                        "a\nb", "a\0b"s, "a\x7f", "a\tb", std::string(256, 'b')};
  for (const auto& name : bad) {
    EXPECT_ERROR_FIELD(check_branch_name(name), ErrorCode::invalid_input, "branchName") << name;
  }
  EXPECT_ERROR_FIELD(check_branch_name("a..b", "ref"), ErrorCode::invalid_input, "ref");
}

// `git check-ref-format --branch` refuses any component ending in ".lock".
TEST(CheckBranchName, RefusesAComponentEndingInLock) {
  EXPECT_ERROR(check_branch_name("foo.lock/bar"), ErrorCode::invalid_input);
  EXPECT_ERROR(check_branch_name("a/b.lock/c"), ErrorCode::invalid_input);
}

TEST(CheckSimpleName, AcceptsLowercaseNames) {
  for (std::string name : {"db", "my-svc_1", "0"}) {
    EXPECT_OK(check_simple_name(name, "services.x")) << name;
  }
  EXPECT_OK(check_simple_name(std::string(64, 'a'), "services.x"));
}

TEST(CheckSimpleName, RefusesOtherNames) {
  for (const auto& name :
       std::vector<std::string>{"", "DB", "a.b", "-a", "a/b", "a b", std::string(65, 'a')}) {
    EXPECT_ERROR_FIELD(check_simple_name(name, "services.x"), ErrorCode::invalid_input,
                       "services.x")
        << name;
  }
}

} // namespace
} // namespace cicd::model

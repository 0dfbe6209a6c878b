#pragma once
// What the git module's integration tests share: a test repository made with the git CLI in a
// temp dir, a work dir for caches and checkouts, and a git daemon on demand.

#include "cicd/git/repository.hpp"

#include "support/git_repos.hpp"
#include "support/git_servers.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace cicd::git {

inline constexpr const char* k_absent_commit = "0123456789abcdef0123456789abcdef01234567";

// For remotes that ask for none.
inline const Credentials k_no_credentials{};

class GitTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!test::have_tool("git", "git")) {
      return;
    }
    m_repo = std::make_unique<test::TestGitRepo>(m_remotes.path());
  }

  // A git daemon serving every repository under m_remotes; fails the test when it does not
  // start.
  std::unique_ptr<test::GitDaemon> start_daemon(bool allow_any_commit = false) {
    auto daemon = std::make_unique<test::GitDaemon>(m_remotes.path(), allow_any_commit);
    EXPECT_TRUE(daemon->started());
    return daemon;
  }

  test::TempDir m_remotes{"cicd-git-remotes"};
  test::TempDir m_work{"cicd-git-work"};
  std::unique_ptr<test::TestGitRepo> m_repo;
};

// The first line of a test body: returns when git is missing (skip or failure recorded).
#define REQUIRE_REPO()                                                                             \
  if (!m_repo || HasFailure() || IsSkipped()) {                                                    \
    return;                                                                                        \
  }

} // namespace cicd::git

#include "cicd/git/repository.hpp"

#include "git_fixture.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

// RepoCache against real repositories reached as file:// paths and through `git daemon` on
// loopback. RunCheckout is in git_run_checkout_test.cpp, SSH remotes in git_ssh_test.cpp.

namespace cicd::git {
namespace {

namespace fs = std::filesystem;
using test::TestFile;

using GitRepoCache = GitTest;

TEST_F(GitRepoCache, ResolvesABranchOverFileAndGitDaemon) {
  REQUIRE_REPO();
  auto head = m_repo->commit("main", {{"README", "hello\n"}});
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  RepoCache cache(m_work.path() / "cache");
  for (const auto& url : {m_repo->file_url(), daemon->url(m_repo->bare_path())}) {
    auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
    ASSERT_OK(resolved) << url;
    EXPECT_EQ(*resolved, head) << url;
    ASSERT_OK(cache.ensure_commit(url, head, k_no_credentials));
    auto readme = cache.read_file(url, head, "README");
    ASSERT_OK(readme);
    EXPECT_EQ(*readme, "hello\n");
  }
}

TEST_F(GitRepoCache, ABranchPushedBetweenTwoResolvesGivesEachItsCommit) {
  REQUIRE_REPO();
  RepoCache cache(m_work.path() / "cache");
  auto url = m_repo->file_url();
  auto first = m_repo->commit("feature/x", {{".cicd.yml", "script: one\n"}});
  auto resolved_first = cache.resolve_branch(url, "feature/x", k_no_credentials);
  auto second = m_repo->commit("feature/x", {{".cicd.yml", "script: two\n"}});
  auto resolved_second = cache.resolve_branch(url, "feature/x", k_no_credentials);
  ASSERT_OK(resolved_first);
  ASSERT_OK(resolved_second);
  EXPECT_EQ(*resolved_first, first);
  EXPECT_EQ(*resolved_second, second);
  EXPECT_EQ(*cache.read_file(url, first, ".cicd.yml"), "script: one\n");
  EXPECT_EQ(*cache.read_file(url, second, ".cicd.yml"), "script: two\n");
}

TEST_F(GitRepoCache, TriggersThatArriveTogetherShareOneLookAndAllGetTheHead) {
  REQUIRE_REPO();
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  RepoCache cache(m_work.path() / "cache");
  auto url = daemon->url(m_repo->bare_path());
  auto head = m_repo->commit("main", {{"README", "one\n"}});
  std::vector<std::string> answers(8);
  std::vector<std::thread> threads;
  for (auto& answer : answers) {
    threads.emplace_back([&] {
      auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
      answer = resolved ? *resolved : resolved.error().message;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(answers, std::vector<std::string>(8, head));
  // A shared answer is never older than the request: after a push, the next one sees it.
  auto next = m_repo->commit("main", {{"README", "two\n"}});
  EXPECT_EQ(cache.resolve_branch(url, "main", k_no_credentials).value(), next);
}

TEST_F(GitRepoCache, AnUnknownBranchIsUnprocessableAndNamed) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "x"}});
  RepoCache cache(m_work.path() / "cache");
  auto resolved = cache.resolve_branch(m_repo->file_url(), "feature/x", k_no_credentials);
  ASSERT_ERROR(resolved, ErrorCode::unprocessable);
  EXPECT_EQ(resolved.error().message, "branch 'feature/x' does not exist in " + m_repo->file_url());
  EXPECT_ERROR(cache.resolve_branch(m_repo->file_url(), "a..b", k_no_credentials),
               ErrorCode::unprocessable);
  EXPECT_ERROR(cache.resolve_branch(m_repo->file_url(), "*", k_no_credentials),
               ErrorCode::unprocessable);
}

TEST_F(GitRepoCache, AnUnknownCommitIsUnprocessableAndNamed) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "x"}});
  RepoCache cache(m_work.path() / "cache");
  auto ensured = cache.ensure_commit(m_repo->file_url(), k_absent_commit, k_no_credentials);
  ASSERT_ERROR(ensured, ErrorCode::unprocessable);
  EXPECT_NE(ensured.error().message.find(std::string("commit ") + k_absent_commit +
                                         " does not exist in " + m_repo->file_url()),
            std::string::npos)
      << ensured.error().message;
  EXPECT_ERROR(cache.ensure_commit(m_repo->file_url(), "abc", k_no_credentials),
               ErrorCode::unprocessable);
}

TEST_F(GitRepoCache, ACommitOnAnotherBranchIsFetchedOnDemand) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "main"}});
  auto other = m_repo->commit("other", {{"README", "other"}});
  auto blob = m_repo->git_in_bare("rev-parse " + other + ":README");
  RepoCache cache(m_work.path() / "cache");
  auto url = m_repo->file_url();
  ASSERT_OK(cache.resolve_branch(url, "main", k_no_credentials));
  ASSERT_OK(cache.ensure_commit(url, other, k_no_credentials));
  EXPECT_EQ(*cache.read_file(url, other, "README"), "other");
  // A blob is not a commit.
  EXPECT_ERROR(cache.ensure_commit(url, blob, k_no_credentials), ErrorCode::unprocessable);
}

TEST_F(GitRepoCache, ACommitThatOnlyAPullRequestRefNamesIsFetchedThroughIt) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "main"}});
  auto proposed = m_repo->commit("proposal", {{".cicd.yml", "script: proposed\n"}});
  m_repo->git_in_bare("update-ref refs/pull/7/head " + proposed);
  m_repo->git_in_bare("branch -D proposal");
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  auto url = daemon->url(m_repo->bare_path());
  RepoCache cache(m_work.path() / "cache");
  ASSERT_OK(cache.resolve_branch(url, "main", k_no_credentials));
  ASSERT_OK(cache.ensure_commit(url, proposed, k_no_credentials));
  EXPECT_EQ(*cache.read_file(url, proposed, ".cicd.yml"), "script: proposed\n");
}

TEST_F(GitRepoCache, AWarmCacheNeedsNoNetwork) {
  REQUIRE_REPO();
  auto head = m_repo->commit("main", {{".cicd.yml", "image: debian:12\n"}});
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  auto url = daemon->url(m_repo->bare_path());
  RepoCache cache(m_work.path() / "cache");
  ASSERT_OK(cache.resolve_branch(url, "main", k_no_credentials));
  daemon->stop();

  auto started = std::chrono::steady_clock::now();
  ASSERT_OK(cache.ensure_commit(url, head, k_no_credentials));
  auto config = cache.read_file(url, head, ".cicd.yml");
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_OK(config);
  EXPECT_EQ(*config, "image: debian:12\n");
  std::cout << "warm ensure_commit + read_file: "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";

  // What is not cached needs the remote, which is gone.
  auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
  ASSERT_ERROR(resolved, ErrorCode::bad_gateway);
  EXPECT_NE(resolved.error().message.find("cannot reach " + url), std::string::npos)
      << resolved.error().message;
}

TEST_F(GitRepoCache, ReadsAnExistingFileAndNamesAMissingOne) {
  REQUIRE_REPO();
  auto head = m_repo->commit(
      "main", {{"ci/config.yml", "a: 1\n"}, {"link", "ci", TestFile::Kind::symlink}});
  RepoCache cache(m_work.path() / "cache");
  auto url = m_repo->file_url();
  ASSERT_OK(cache.ensure_commit(url, head, k_no_credentials));
  EXPECT_EQ(*cache.read_file(url, head, "ci/config.yml"), "a: 1\n");
  EXPECT_EQ(*cache.read_file(url, head, "./ci//config.yml"), "a: 1\n");
  auto missing = cache.read_file(url, head, ".cicd.yml");
  ASSERT_ERROR(missing, ErrorCode::unprocessable);
  EXPECT_EQ(missing.error().message, ".cicd.yml does not exist at commit " + head);
  EXPECT_ERROR(cache.read_file(url, head, "ci"), ErrorCode::unprocessable);
  EXPECT_ERROR(cache.read_file(url, head, "link"), ErrorCode::unprocessable);
  EXPECT_ERROR(cache.read_file(url, head, "ci/config.yml/x"), ErrorCode::unprocessable);
}

TEST_F(GitRepoCache, AnUnreachableRemoteIsABadGatewayNamingTheUrl) {
  REQUIRE_REPO();
  RepoCache cache(m_work.path() / "cache");
  auto closed_port = test::free_port(); // nothing listens there
  auto url = "git://127.0.0.1:" + std::to_string(closed_port) + "/r.git";
  auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
  ASSERT_ERROR(resolved, ErrorCode::bad_gateway);
  EXPECT_TRUE(resolved.error().message.starts_with("cannot reach " + url + ": "))
      << resolved.error().message;

  auto missing_path = "file://" + (m_remotes.path() / "absent.git").string();
  EXPECT_ERROR(cache.ensure_commit(missing_path, k_absent_commit, k_no_credentials),
               ErrorCode::bad_gateway);

  // A credential in the URL never shows.
  auto with_token = "https://user:s3cret-token@127.0.0.1:" + std::to_string(closed_port) + "/r.git";
  auto refused = cache.resolve_branch(with_token, "main", k_no_credentials);
  ASSERT_ERROR(refused, ErrorCode::bad_gateway);
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("https://127.0.0.1:"), std::string::npos)
      << refused.error().message;
}

TEST_F(GitRepoCache, ABrokenCacheIsMadeAgain) {
  REQUIRE_REPO();
  auto head = m_repo->commit("main", {{"README", "x"}});
  auto cache_dir = m_work.path() / "cache";
  RepoCache cache(cache_dir);
  ASSERT_OK(cache.resolve_branch(m_repo->file_url(), "main", k_no_credentials));
  ASSERT_EQ(std::distance(fs::directory_iterator(cache_dir), fs::directory_iterator()), 1);
  for (const auto& entry : fs::directory_iterator(cache_dir)) {
    fs::remove_all(entry.path());
    fs::create_directories(entry.path());
    std::ofstream(entry.path() / "HEAD") << "garbage";
  }
  auto resolved = cache.resolve_branch(m_repo->file_url(), "main", k_no_credentials);
  ASSERT_OK(resolved);
  EXPECT_EQ(*resolved, head);

  fs::remove_all(cache_dir);
  ASSERT_OK(cache.ensure_commit(m_repo->file_url(), head, k_no_credentials));
}

TEST_F(GitRepoCache, ConcurrentRequestsOfOneRemoteAllSucceed) {
  REQUIRE_REPO();
  auto main_head = m_repo->commit("main", {{"README", "main"}});
  auto other_head = m_repo->commit("other", {{"README", "other"}});
  RepoCache cache(m_work.path() / "cache");
  auto url = m_repo->file_url();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto branch = i % 2 == 0 ? "main" : "other";
      auto expected = i % 2 == 0 ? main_head : other_head;
      auto resolved = cache.resolve_branch(url, branch, k_no_credentials);
      auto file =
          resolved ? cache.read_file(url, *resolved, "README") : Result<std::string>(std::string());
      if (!resolved || *resolved != expected || !file || *file != branch) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, 0);
}

} // namespace
} // namespace cicd::git

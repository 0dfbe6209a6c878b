#include "cicd/git/repository.hpp"

#include "git_fixture.hpp"

#include "support/error_assertions.hpp"
#include "support/tar_entries.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

// RunCheckout against real repositories reached as file:// paths and through `git daemon` on
// loopback: fetching one commit, reading it, and its trees as tars.

namespace cicd::git {
namespace {

namespace fs = std::filesystem;
using test::TarFileEntry;
using test::TestFile;

bool always() {
  return true;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Objects and bytes of a repository's object database, as git count-objects says.
std::string object_counts(const fs::path& repository) {
  auto counts = test::run_shell("git -C " + test::shell_quote(repository.string()) +
                                " count-objects -v | tr '\\n' ' '");
  return counts;
}

class GitRunCheckout : public GitTest {
protected:
  Result<RunCheckout> fetch(const std::string& url, const std::string& commit,
                            const std::string& branch = "",
                            const std::function<bool()>& keep_going = always) {
    auto dir = m_work.path() / ("run-" + std::to_string(++m_runs));
    return RunCheckout::fetch(dir, url, commit, branch, k_no_credentials, keep_going);
  }

  int m_runs = 0;
};

TEST_F(GitRunCheckout, FetchesACommitByItsIdOverFile) {
  REQUIRE_REPO();
  auto older = m_repo->commit("main", {{"README", "old"}});
  m_repo->commit("main", {{"README", "new"}});
  // Not a branch head: file:// serves any commit by its id.
  auto checkout = fetch(m_repo->file_url(), older);
  ASSERT_OK(checkout);
  EXPECT_EQ(*checkout->read_file("README"), "old");
  auto missing = checkout->read_file("absent.txt");
  ASSERT_ERROR(missing, ErrorCode::unprocessable);
  EXPECT_NE(missing.error().message.find("absent.txt"), std::string::npos);
}

TEST_F(GitRunCheckout, FetchesOverGitDaemonByIdOrThroughTheBranch) {
  REQUIRE_REPO();
  auto older = m_repo->commit("topic", {{"README", "old"}});
  auto head = m_repo->commit("topic", {{"README", "new"}});
  m_repo->commit("main", {{"README", "main"}});
  auto refusing = start_daemon();
  ASSERT_TRUE(refusing->started());
  auto url = refusing->url(m_repo->bare_path());

  // A branch head is advertised, so asking for it by id is allowed everywhere.
  auto at_head = fetch(url, head);
  ASSERT_OK(at_head);
  EXPECT_EQ(*at_head->read_file("README"), "new");
  // An older commit is refused by id (git's default): the branch brings it, or every branch.
  auto through_branch = fetch(url, older, "topic");
  ASSERT_OK(through_branch);
  EXPECT_EQ(*through_branch->read_file("README"), "old");
  auto through_all = fetch(url, older);
  ASSERT_OK(through_all);
  EXPECT_EQ(*through_all->read_file("README"), "old");
  // A branch that does not have it: every branch is fetched after it.
  auto wrong_branch = fetch(url, older, "main");
  ASSERT_OK(wrong_branch);
  refusing->stop();

  auto allowing = start_daemon(true);
  ASSERT_TRUE(allowing->started());
  auto by_id = fetch(allowing->url(m_repo->bare_path()), older);
  ASSERT_OK(by_id);
  EXPECT_EQ(*by_id->read_file("README"), "old");
}

// A pull request's head from a fork is on no branch: its ref (refs/pull/N/head) brings it.
TEST_F(GitRunCheckout, FetchesACommitThatOnlyAPullRequestRefNames) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "main"}});
  auto proposed = m_repo->commit("proposal", {{"README", "proposed"}});
  m_repo->git_in_bare("update-ref refs/pull/7/head " + proposed);
  m_repo->git_in_bare("branch -D proposal");
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  auto checkout = fetch(daemon->url(m_repo->bare_path()), proposed, "main");
  ASSERT_OK(checkout);
  EXPECT_EQ(*checkout->read_file("README"), "proposed");
}

TEST_F(GitRunCheckout, AnUnknownCommitIsUnprocessable) {
  REQUIRE_REPO();
  m_repo->commit("main", {{"README", "x"}});
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  for (const auto& url : {m_repo->file_url(), daemon->url(m_repo->bare_path())}) {
    auto checkout = fetch(url, k_absent_commit, "main");
    ASSERT_ERROR(checkout, ErrorCode::unprocessable) << url;
    EXPECT_EQ(checkout.error().message,
              std::string("commit ") + k_absent_commit + " does not exist in " + url);
  }
}

TEST_F(GitRunCheckout, AnUnreachableRemoteIsABadGateway) {
  REQUIRE_REPO();
  auto url = "git://127.0.0.1:" + std::to_string(test::free_port()) + "/r.git";
  auto checkout = fetch(url, k_absent_commit);
  ASSERT_ERROR(checkout, ErrorCode::bad_gateway);
  EXPECT_TRUE(checkout.error().message.starts_with("cannot reach " + url))
      << checkout.error().message;
}

TEST_F(GitRunCheckout, WritesTarsWithModesLinksAndNoSubmodules) {
  REQUIRE_REPO();
  auto base = m_repo->commit("main", {{"README", "x"}});
  auto head =
      m_repo->commit("main", {{"build.sh", "#!/bin/sh\necho hi\n", TestFile::Kind::executable},
                              {"src/app/main.c", "int main() { return 0; }\n"},
                              {"src/app/run", "#!/bin/sh\n", TestFile::Kind::executable},
                              {"src/current", "app", TestFile::Kind::symlink},
                              {"vendor/lib", base, TestFile::Kind::submodule}});
  auto checkout = fetch(m_repo->file_url(), head);
  ASSERT_OK(checkout);
  auto commit_time = std::stoll(m_repo->git_in_bare("show -s --format=%ct " + head));

  auto root_tar = m_work.path() / "root.tar";
  ASSERT_OK(checkout->write_tar("", root_tar));
  auto root = test::read_tar_entries(root_tar);
  ASSERT_TRUE(root.contains("build.sh"));
  EXPECT_EQ(root["build.sh"].type, TarFileEntry::Type::file);
  EXPECT_EQ(root["build.sh"].mode, 0755u);
  EXPECT_EQ(root["build.sh"].content, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(root["README"].mode, 0644u);
  EXPECT_EQ(root["src"].type, TarFileEntry::Type::directory);
  EXPECT_EQ(root["src/app"].type, TarFileEntry::Type::directory);
  EXPECT_EQ(root["src/app/main.c"].content, "int main() { return 0; }\n");
  EXPECT_EQ(root["src/app/main.c"].mode, 0644u);
  EXPECT_EQ(root["src/app/run"].mode, 0755u);
  EXPECT_EQ(root["src/current"].type, TarFileEntry::Type::symlink);
  EXPECT_EQ(root["src/current"].link_target, "app");
  EXPECT_TRUE(root.contains("vendor"));      // the directory holding the submodule…
  EXPECT_FALSE(root.contains("vendor/lib")); // …but not the submodule
  for (const auto& [path, entry] : root) {
    EXPECT_EQ(entry.mtime, commit_time) << path;
    EXPECT_EQ(entry.uid, 0) << path;
    EXPECT_EQ(entry.gid, 0) << path;
  }
  EXPECT_EQ(root.size(), 8u);

  auto sub_tar = m_work.path() / "sub.tar";
  ASSERT_OK(checkout->write_tar("./src/", sub_tar));
  auto sub = test::read_tar_entries(sub_tar);
  EXPECT_EQ(sub.size(), 4u);

  // Under a prefix, for a given owner: the workspace directory itself comes first.
  auto owned_tar = m_work.path() / "owned.tar";
  TarLayout layout;
  layout.prefix = "workspace";
  layout.uid = 1000;
  layout.gid = 1001;
  ASSERT_OK(checkout->write_tar("src", owned_tar, layout));
  auto owned = test::read_tar_entries(owned_tar);
  EXPECT_EQ(owned.size(), 5u);
  EXPECT_EQ(owned["workspace"].type, TarFileEntry::Type::directory);
  EXPECT_EQ(owned["workspace/app/main.c"].content, "int main() { return 0; }\n");
  for (const auto& [path, entry] : owned) {
    EXPECT_EQ(entry.uid, 1000) << path;
    EXPECT_EQ(entry.gid, 1001) << path;
  }
  EXPECT_EQ(sub["app/main.c"].content, "int main() { return 0; }\n");
  EXPECT_EQ(sub["current"].link_target, "app");

  // The same tree gives the same bytes.
  auto again = m_work.path() / "again.tar";
  ASSERT_OK(checkout->write_tar(".", again));
  EXPECT_EQ(read_bytes(again), read_bytes(root_tar));

  auto not_a_directory = checkout->write_tar("README", m_work.path() / "x.tar");
  ASSERT_ERROR(not_a_directory, ErrorCode::unprocessable);
  EXPECT_NE(not_a_directory.error().message.find("README"), std::string::npos);
  EXPECT_ERROR(checkout->write_tar("absent", m_work.path() / "y.tar"), ErrorCode::unprocessable);
  EXPECT_FALSE(fs::exists(m_work.path() / "x.tar"));
}

TEST_F(GitRunCheckout, ObjectIdsAreContentHashes) {
  REQUIRE_REPO();
  auto first = m_repo->commit("main", {{"docker/Dockerfile", "FROM debian:12\n"}, {"a", "1"}});
  auto second = m_repo->commit("main", {{"a", "2"}});
  auto third = m_repo->commit("main", {{"docker/Dockerfile", "FROM debian:13\n"}});
  auto one = fetch(m_repo->file_url(), first);
  auto two = fetch(m_repo->file_url(), second);
  auto three = fetch(m_repo->file_url(), third);
  ASSERT_OK(one);
  ASSERT_OK(two);
  ASSERT_OK(three);
  EXPECT_EQ(*one->object_id("docker"), *two->object_id("docker"));
  EXPECT_EQ(*one->object_id("docker/Dockerfile"), *two->object_id("./docker/Dockerfile"));
  EXPECT_NE(*two->object_id("docker"), *three->object_id("docker"));
  EXPECT_NE(*one->object_id(""), *two->object_id("."));
  EXPECT_EQ(*one->object_id(""), m_repo->git_in_bare("rev-parse " + first + "^{tree}"));
  EXPECT_ERROR(one->object_id("absent"), ErrorCode::unprocessable);
}

TEST_F(GitRunCheckout, KeepGoingSayingNoCancelsTheFetch) {
  REQUIRE_REPO();
  auto head = m_repo->commit_many("main", 500, 4096);
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  int asked = 0;
  // Yes while connecting, no once the transfer has begun.
  auto keep_going = [&asked] { return ++asked < 3; };
  auto checkout = fetch(daemon->url(m_repo->bare_path()), head, "main", keep_going);
  ASSERT_ERROR(checkout, ErrorCode::unprocessable);
  EXPECT_NE(checkout.error().message.find("cancelled"), std::string::npos)
      << checkout.error().message;
  EXPECT_GE(asked, 3);
}

// libgit2 1.5 cannot fetch shallow: fetching the head of a long history brings all of it.
TEST_F(GitRunCheckout, ALongHistoryIsFetchedWhole) {
  REQUIRE_REPO();
  constexpr int k_commits = 2000;
  auto head = m_repo->commit_many("main", k_commits);
  auto daemon = start_daemon();
  ASSERT_TRUE(daemon->started());
  auto dir = m_work.path() / "long";
  auto started = std::chrono::steady_clock::now();
  auto checkout = RunCheckout::fetch(dir, daemon->url(m_repo->bare_path()), head, "main",
                                     k_no_credentials, always);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_OK(checkout);
  EXPECT_EQ(*checkout->read_file("history.txt"), "2000 " + std::string(1024, 'x') + "\n");
  auto counts = object_counts(dir);
  std::cout << k_commits << " commits fetched in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms: " << counts << "\n";
  RecordProperty("fetched", counts);
  // Every commit with its tree and blob: the whole history, where a fetch of depth 1 would
  // have brought 3 objects.
  EXPECT_NE(counts.find("in-pack: "), std::string::npos);
  auto in_pack = std::stol(counts.substr(counts.find("in-pack: ") + 9));
  EXPECT_GE(in_pack, 3 * k_commits);
}

} // namespace
} // namespace cicd::git

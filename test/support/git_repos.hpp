#pragma once
// Git repositories made by tests with the git CLI: a bare "remote" and a work tree next to it
// that commits are made in and pushed from. Servers for them are in git_servers.hpp.
//
// When git is not installed, a test FAILS under CI (CI=true) and is skipped with a loud
// message elsewhere (STYLE.md, Tests): see have_tool().

#include <filesystem>
#include <string>
#include <vector>

namespace cicd::test {

// Whether `program` (a name found on PATH, or an absolute path) can run. When it cannot, it
// records a failure (under CI) or a skip naming the Debian `package`: the caller returns.
bool have_tool(const std::string& program, const std::string& package);

// Runs a shell command line; returns its standard output, or records a failure (with what
// the command printed) and returns "" when it exits non-zero. `input` goes to its stdin.
std::string run_shell(const std::string& command, const std::string& input = {});

// Quotes `text` for a POSIX shell.
std::string shell_quote(const std::string& text);

struct TestFile {
  enum class Kind { regular, executable, symlink, submodule };
  std::string path;
  std::string content; // a symlink's target; a submodule's commit id
  Kind kind = Kind::regular;
};

// Thread safety: none; use from the test's thread.
class TestGitRepo {
public:
  // Makes <root>/<name>.git (bare) and the work tree <root>/<name>.work.
  explicit TestGitRepo(const std::filesystem::path& root, const std::string& name = "repo");
  TestGitRepo(const TestGitRepo&) = delete;
  TestGitRepo& operator=(const TestGitRepo&) = delete;

  const std::filesystem::path& bare_path() const { return m_bare; }
  std::string file_url() const { return "file://" + m_bare.string(); }

  // Commits `files` (written over what is there; other files stay) on `branch` — made from
  // the current commit when the remote does not have it yet — and pushes it. Returns the new
  // commit's id.
  std::string commit(const std::string& branch, const std::vector<TestFile>& files,
                     const std::string& message = "a change");
  // Adds `count` commits to `branch` straight in the bare repository with git fast-import
  // (thousands in a second), each one rewriting history.txt with "<n> " and `file_size` x's,
  // so that the last tree is small and the history large. Returns the last commit's id.
  std::string commit_many(const std::string& branch, int count, std::size_t file_size = 1024);
  // `git <arguments>` in the bare repository, e.g. "config uploadpack.allowAnySHA1InWant true".
  std::string git_in_bare(const std::string& arguments);

private:
  std::string git_in_work(const std::string& arguments);

  std::filesystem::path m_bare;
  std::filesystem::path m_work;
};

} // namespace cicd::test

#include "support/git_repos.hpp"

#include "support/cicd_process.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace cicd::test {
namespace fs = std::filesystem;

namespace {

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1");
}

// void so that FAIL() and GTEST_SKIP() can end it.
void report_missing(const std::string& program, const std::string& package) {
  auto message = program + " is not installed (Debian package " + package + ")";
  if (running_under_ci()) {
    FAIL() << message;
  }
  GTEST_SKIP() << "\n*** SKIPPED: " << message << " ***\n";
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

constexpr const char* k_identity =
    "-c user.name=cicd-test -c user.email=test@cicd.invalid -c init.defaultBranch=main "
    "-c core.fileMode=true -c advice.detachedHead=false";

} // namespace

bool have_tool(const std::string& program, const std::string& package) {
  if (std::system(("command -v " + shell_quote(program) + " >/dev/null 2>&1").c_str()) == 0) {
    return true;
  }
  report_missing(program, package);
  return false;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string run_shell(const std::string& command, const std::string& input) {
  TempDir io("cicd-shell");
  auto in = io.path() / "in";
  auto err = io.path() / "err";
  std::ofstream(in, std::ios::binary) << input;
  auto line = "(" + command + ") <" + shell_quote(in.string()) + " 2>" + shell_quote(err.string());
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(line.c_str(), "r"), pclose);
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string out;
  std::array<char, 4096> buffer{};
  while (auto got = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) {
    out.append(buffer.data(), got);
  }
  if (int status = pclose(pipe.release()); status != 0) {
    ADD_FAILURE() << command << " failed (status " << status << "): " << out << read_whole(err);
    return "";
  }
  return out;
}

TestGitRepo::TestGitRepo(const fs::path& root, const std::string& name)
    : m_bare(root / (name + ".git")), m_work(root / (name + ".work")) {
  run_shell(std::string("git ") + k_identity + " init -q --bare " + shell_quote(m_bare.string()));
  run_shell(std::string("git ") + k_identity + " init -q " + shell_quote(m_work.string()));
  git_in_work("remote add origin " + shell_quote(m_bare.string()));
}

std::string TestGitRepo::git_in_work(const std::string& arguments) {
  return trimmed(run_shell("git " + std::string(k_identity) + " -C " +
                           shell_quote(m_work.string()) + " " + arguments));
}

std::string TestGitRepo::git_in_bare(const std::string& arguments) {
  return trimmed(run_shell("git " + std::string(k_identity) + " -C " +
                           shell_quote(m_bare.string()) + " " + arguments));
}

std::string TestGitRepo::commit(const std::string& branch, const std::vector<TestFile>& files,
                                const std::string& message) {
  // The work tree follows the remote, which commit_many() also writes to.
  git_in_work("fetch -q origin");
  auto on_remote = git_in_work("branch -r --list " + shell_quote("origin/" + branch));
  if (!on_remote.empty()) {
    git_in_work("checkout -q -f -B " + shell_quote(branch) + " " + shell_quote("origin/" + branch));
  } else if (git_in_work("rev-parse --verify -q HEAD || true").empty()) {
    git_in_work("symbolic-ref HEAD " + shell_quote("refs/heads/" + branch)); // nothing yet
  } else {
    git_in_work("checkout -q -f -B " + shell_quote(branch));
  }
  std::vector<const TestFile*> submodules;
  for (const auto& file : files) {
    auto path = m_work / file.path;
    fs::create_directories(path.parent_path());
    std::error_code ignored;
    fs::remove(path, ignored);
    switch (file.kind) {
    case TestFile::Kind::symlink:
      fs::create_symlink(file.content, path);
      break;
    case TestFile::Kind::submodule:
      submodules.push_back(&file);
      break;
    case TestFile::Kind::regular:
    case TestFile::Kind::executable:
      std::ofstream(path, std::ios::binary) << file.content;
      fs::permissions(path,
                      file.kind == TestFile::Kind::executable ? fs::perms(0755) : fs::perms(0644));
      break;
    }
  }
  git_in_work("add -A");
  // A gitlink without a checkout of its own: only the index knows it.
  for (const auto* submodule : submodules) {
    git_in_work("update-index --add --cacheinfo " +
                shell_quote("160000," + submodule->content + "," + submodule->path));
  }
  git_in_work("commit -q --allow-empty -m " + shell_quote(message));
  git_in_work("push -q origin " + shell_quote("HEAD:refs/heads/" + branch));
  return git_in_work("rev-parse HEAD");
}

std::string TestGitRepo::commit_many(const std::string& branch, int count, std::size_t file_size) {
  auto parent =
      git_in_bare("rev-parse --verify -q " + shell_quote("refs/heads/" + branch) + " || true");
  std::string stream;
  std::string filler(file_size, 'x');
  for (int i = 1; i <= count; ++i) {
    auto message = "commit " + std::to_string(i) + "\n";
    // Content unique to the commit, so that git cannot share it between commits.
    auto content = std::to_string(i) + " " + filler + "\n";
    stream += "commit refs/heads/" + branch + "\n";
    stream +=
        "committer cicd-test <test@cicd.invalid> " + std::to_string(1700000000 + i) + " +0000\n";
    stream += "data " + std::to_string(message.size()) + "\n" + message;
    if (i == 1 && !parent.empty()) {
      stream += "from " + parent + "\n";
    }
    stream += "M 100644 inline history.txt\n";
    stream += "data " + std::to_string(content.size()) + "\n" + content + "\n";
  }
  run_shell("git -C " + shell_quote(m_bare.string()) + " fast-import --quiet", stream);
  return git_in_bare("rev-parse " + shell_quote("refs/heads/" + branch));
}

} // namespace cicd::test

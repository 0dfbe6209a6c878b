#include "ctl_user.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace cicd::test {
namespace fs = std::filesystem;

namespace {

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> ctl_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CICD_BINARY, "ctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits for `pid`; kills it after `timeout` (recording a failure). Its exit code, or -1.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return exit_code_of(status);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "cicd ctl did not finish within " << timeout.count() << " ms";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace

CtlUser::CtlUser(std::string server, std::string token)
    : m_server(std::move(server)), m_token(std::move(token)) {}

std::vector<std::string>
CtlUser::environment(const std::map<std::string, std::string>& extra) const {
  std::map<std::string, std::string> variables = {
      {"PATH", "/usr/bin:/bin"}, {"HOME", home().string()}, {"CICD_SERVER", m_server}};
  if (!m_token.empty()) {
    variables["CICD_TOKEN"] = m_token;
  }
  for (const auto& [name, value] : extra) {
    variables[name] = value;
  }
  std::vector<std::string> environment;
  for (const auto& [name, value] : variables) {
    if (!value.empty()) {
      environment.push_back(name + "=" + value);
    }
  }
  return environment;
}

CommandResult CtlUser::run(const std::vector<std::string>& args, const std::string& input,
                           const std::map<std::string, std::string>& extra,
                           std::chrono::milliseconds timeout) const {
  TempDir dir("cicd-ctl-command");
  std::ofstream(dir.path() / "stdin", std::ios::binary) << input;
  SpawnInput spawn_input;
  spawn_input.stdin_file = dir.path() / "stdin";
  spawn_input.environment = environment(extra);
  pid_t pid =
      spawn_process(ctl_argv(args), dir.path() / "stdout", dir.path() / "stderr", spawn_input);
  CommandResult result;
  if (pid < 0) {
    ADD_FAILURE() << "cannot start cicd ctl";
    return result;
  }
  result.exit_code = wait_for(pid, timeout);
  result.out = contents(dir.path() / "stdout");
  result.err = contents(dir.path() / "stderr");
  return result;
}

BackgroundCtl::BackgroundCtl(const CtlUser& user, const std::vector<std::string>& args) {
  SpawnInput input;
  input.environment = user.environment({});
  m_pid = spawn_process(ctl_argv(args), m_dir.path() / "stdout", m_dir.path() / "stderr", input);
  if (m_pid < 0) {
    ADD_FAILURE() << "cannot start cicd ctl";
  }
}

BackgroundCtl::~BackgroundCtl() {
  if (m_pid > 0 && !m_reaped) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

std::string BackgroundCtl::out() const {
  return contents(m_dir.path() / "stdout");
}

std::string BackgroundCtl::err() const {
  return contents(m_dir.path() / "stderr");
}

int BackgroundCtl::wait(std::chrono::milliseconds timeout) {
  if (m_pid > 0 && !m_reaped) {
    m_exit_code = wait_for(m_pid, timeout);
    m_reaped = true;
  }
  return m_exit_code;
}

} // namespace cicd::test

#include "support/cicd_process.hpp"

#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace cicd::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

pid_t spawn_cicd(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  std::vector<std::string> all{CICD_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  pid_t pid = spawn_process(all, out, err);
  if (pid < 0) {
    throw_errno(std::string("cannot start ") + CICD_BINARY);
  }
  return pid;
}

} // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
                    const SpawnInput& input) {
  std::vector<std::string> arguments = argv;
  std::vector<char*> pointers;
  for (auto& argument : arguments) {
    pointers.push_back(argument.data());
  }
  pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.stdin_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> variables = input.environment.value_or(std::vector<std::string>());
  std::vector<char*> environment;
  for (auto& variable : variables) {
    environment.push_back(variable.data());
  }
  environment.push_back(nullptr);
  pid_t pid = -1;
  int error = posix_spawnp(&pid, pointers[0], &actions, &attributes, pointers.data(),
                           input.environment ? environment.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return pid;
}

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = (fs::path(base != nullptr && *base != '\0' ? base : "/tmp") /
                         (std::string(prefix) + ".XXXXXX"))
                            .string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw_errno("mkdtemp " + pattern);
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(m_path, ignored);
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno("socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("binding a socket to port 0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

CommandResult run_cicd(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  TempDir dir("cicd-command");
  auto out = dir.path() / "stdout";
  auto err = dir.path() / "stderr";
  pid_t pid = spawn_cicd(args, out, err);
  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.exit_code = decode_status(status);
      break;
    }
    if (done < 0 && errno != EINTR) {
      throw_errno("waitpid");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "cicd command did not finish within " << timeout.count() << " ms";
      result.exit_code = -1;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

CicdProcess::CicdProcess(const std::vector<std::string>& args, fs::path log_file)
    : m_log_file(std::move(log_file)) {
  m_pid = spawn_cicd(args, m_log_file, m_log_file);
}

CicdProcess::~CicdProcess() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() already did what it could.
  }
}

bool CicdProcess::reap(int options) {
  if (m_pid < 0) {
    return true;
  }
  int status = 0;
  pid_t done = ::waitpid(m_pid, &status, options);
  if (done == m_pid) {
    m_exit_code = decode_status(status);
    m_pid = -1;
    return true;
  }
  if (done < 0 && errno == ECHILD) {
    m_pid = -1;
    return true;
  }
  return false;
}

bool CicdProcess::running() {
  return !reap(WNOHANG);
}

int CicdProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) {
    return m_exit_code;
  }
  ::kill(m_pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(WNOHANG)) {
      return m_exit_code;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(m_pid, SIGKILL);
  reap(0);
  return m_exit_code;
}

std::string CicdProcess::log() const {
  return read_file(m_log_file);
}

std::unique_ptr<CicdProcess> start_serving(std::vector<std::string> args,
                                           const std::filesystem::path& log_file,
                                           std::uint16_t& port) {
  using namespace std::chrono_literals;
  constexpr int k_attempts = 3; // another process may take the free port before we bind it
  args.push_back("--listen");
  args.push_back("");
  std::unique_ptr<CicdProcess> process;
  for (int attempt = 1; attempt <= k_attempts; ++attempt) {
    port = free_port();
    args.back() = "127.0.0.1:" + std::to_string(port);
    process = std::make_unique<CicdProcess>(args, log_file);
    HttpClient probe("127.0.0.1", port, 500ms);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (process->running() && std::chrono::steady_clock::now() < deadline) {
      try {
        if (probe.request(boost::beast::http::verb::get, "/healthz").status == 200) {
          return process;
        }
      } catch (const std::exception&) {
        // Not listening yet.
      }
      std::this_thread::sleep_for(50ms);
    }
    bool port_taken =
        !process->running() && process->log().find("cannot listen") != std::string::npos;
    process->stop();
    if (!port_taken) {
      break;
    }
  }
  throw std::runtime_error("cicd " + args.front() +
                           " did not answer GET /healthz within 10 s (exit status " +
                           std::to_string(process->exit_code()) + "); its log:\n" + process->log());
}

} // namespace cicd::test

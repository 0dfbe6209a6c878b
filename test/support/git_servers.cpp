#include "support/git_servers.hpp"

#include "support/git_repos.hpp"
#include "support/raw_connection.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

extern char** environ;

namespace cicd::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_sshd = "/usr/sbin/sshd";

bool accepts_connections(std::uint16_t port) {
  int fd = connect_loopback(port, std::chrono::seconds(1));
  if (fd < 0) {
    return false;
  }
  ::close(fd);
  return true;
}

// Starts a server on a free port and waits (10 s at most) until it accepts connections; tries
// another port when the chosen one was taken before the server bound it.
std::unique_ptr<ServerProcess>
start_on_free_port(const std::function<std::vector<std::string>(std::uint16_t)>& argv_for,
                   const fs::path& log_file, std::uint16_t& port) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    port = free_port();
    auto process = std::make_unique<ServerProcess>(argv_for(port), log_file);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (process->running() && std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections(port)) {
        return process;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  return nullptr;
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const fs::path& log_file)
    : m_pid(spawn_process(argv, log_file, log_file)) {
  if (m_pid < 0) {
    ADD_FAILURE() << "cannot start " << argv.at(0) << ": " << std::strerror(errno);
  }
}

ServerProcess::~ServerProcess() {
  stop();
}

bool ServerProcess::running() {
  if (m_pid < 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    m_pid = -1;
    return false;
  }
  return true;
}

void ServerProcess::stop() {
  if (m_pid < 0) {
    return;
  }
  pid_t group = m_pid;
  ::kill(-group, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (m_pid >= 0) {
    ::kill(-group, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }
  // Connections it forked may outlive it: they are in its group.
  ::kill(-group, SIGKILL);
}

GitDaemon::GitDaemon(fs::path base, bool allow_any_commit) : m_base(std::move(base)) {
  if (!have_tool("git", "git")) {
    return;
  }
  auto argv_for = [&](std::uint16_t port) {
    std::vector<std::string> argv{"git"};
    if (allow_any_commit) {
      argv.insert(argv.end(), {"-c", "uploadpack.allowAnySHA1InWant=true"});
    }
    argv.insert(argv.end(), {"daemon", "--reuseaddr", "--base-path=" + m_base.string(),
                             "--export-all", "--listen=127.0.0.1", "--port=" + std::to_string(port),
                             "--enable=upload-pack", "--informative-errors", m_base.string()});
    return argv;
  };
  m_process = start_on_free_port(argv_for, m_dir.path() / "log", m_port);
  if (!m_process) {
    ADD_FAILURE() << "git daemon did not start:\n" << log();
  }
}

std::string GitDaemon::url(const fs::path& repository) const {
  return "git://127.0.0.1:" + std::to_string(m_port) + "/" +
         repository.lexically_relative(m_base).string();
}

void GitDaemon::stop() {
  if (m_process) {
    m_process->stop();
  }
}

std::string GitDaemon::log() const {
  return read_whole(m_dir.path() / "log");
}

TestSshd::TestSshd() {
  if (!have_tool(k_sshd, "openssh-server") || !have_tool("ssh-keygen", "openssh-client")) {
    return;
  }
  const passwd* user = ::getpwuid(::geteuid());
  m_user = user != nullptr ? user->pw_name : "root";
  auto dir = m_dir.path();
  auto host_key = dir / "host_ed25519";
  run_shell("ssh-keygen -q -t ed25519 -N '' -C 'cicd test sshd' -f " +
            shell_quote(host_key.string()));
  std::istringstream listed(
      run_shell("ssh-keygen -l -f " + shell_quote(host_key.string() + ".pub")));
  std::string bits;
  listed >> bits >> m_fingerprint;
  std::ofstream(dir / "authorized_keys").flush();
  // Privilege separation needs its empty directory, which only the package's service makes.
  std::error_code ignored;
  fs::create_directories("/run/sshd", ignored);

  auto argv_for = [&](std::uint16_t port) {
    auto config = dir / "sshd_config";
    std::ofstream(config) << "Port " << port << "\n"
                          << "ListenAddress 127.0.0.1\n"
                          << "HostKey " << host_key.string() << "\n"
                          << "PidFile " << (dir / "sshd.pid").string() << "\n"
                          << "AuthorizedKeysFile " << (dir / "authorized_keys").string() << "\n"
                          << "StrictModes no\n"
                          << "PubkeyAuthentication yes\n"
                          << "PasswordAuthentication no\n"
                          << "KbdInteractiveAuthentication no\n"
                          << "PermitRootLogin prohibit-password\n"
                          << "UsePAM no\n"
                          << "LogLevel VERBOSE\n";
    return std::vector<std::string>{k_sshd, "-D", "-e", "-f", config.string()};
  };
  m_process = start_on_free_port(argv_for, dir / "log", m_port);
  if (!m_process) {
    ADD_FAILURE() << "sshd did not start:\n" << log();
  }
}

void TestSshd::authorize(const std::string& public_key) {
  std::ofstream(m_dir.path() / "authorized_keys", std::ios::app) << public_key << "\n";
}

std::string TestSshd::url(const fs::path& repository) const {
  return "ssh://" + m_user + "@127.0.0.1:" + std::to_string(m_port) + repository.string();
}

std::string TestSshd::host() const {
  return "127.0.0.1:" + std::to_string(m_port);
}

std::string TestSshd::log() const {
  return read_whole(m_dir.path() / "log");
}

UntrustedTlsServer::UntrustedTlsServer() {
  if (!have_tool("openssl", "openssl")) {
    return;
  }
  auto dir = m_dir.path();
  run_shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
            "-subj /CN=127.0.0.1 -keyout " +
            shell_quote((dir / "key.pem").string()) + " -out " +
            shell_quote((dir / "cert.pem").string()));
  auto argv_for = [&](std::uint16_t port) {
    return std::vector<std::string>{"openssl", "s_server",
                                    "-quiet",  "-www",
                                    "-accept", "127.0.0.1:" + std::to_string(port),
                                    "-cert",   (dir / "cert.pem").string(),
                                    "-key",    (dir / "key.pem").string()};
  };
  m_process = start_on_free_port(argv_for, dir / "log", m_port);
  if (!m_process) {
    ADD_FAILURE() << "openssl s_server did not start:\n" << log();
  }
}

std::string UntrustedTlsServer::log() const {
  return read_whole(m_dir.path() / "log");
}

SilentServer::SilentServer() {
  m_socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (m_socket < 0 || ::bind(m_socket, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(m_socket, 16) != 0 ||
      ::getsockname(m_socket, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1: " << std::strerror(errno);
    return;
  }
  m_port = ntohs(address.sin_port);
}

SilentServer::~SilentServer() {
  if (m_socket >= 0) {
    ::close(m_socket);
  }
}

} // namespace cicd::test

#pragma once
// Real git servers on loopback for tests: `git daemon` (git://) and a private `sshd` (ssh://),
// each on a free port with files of its own, started by the test and stopped, with every
// connection it forked, on destruction.
//
// When a server's program is not installed, the constructor records a failure (CI=true) or a
// skip, and started() is false: the caller must return at once.

#include "support/cicd_process.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cicd::test {

// A long-running server in a process group of its own, its output appended to a log file.
// Thread safety: none.
class ServerProcess {
public:
  ServerProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  bool running();
  // SIGTERM to the whole group, SIGKILL after a grace period. Idempotent.
  void stop();

private:
  pid_t m_pid = -1;
};

// `git daemon` serving every repository under `base` (upload-pack only, informative errors).
// Thread safety: none.
class GitDaemon {
public:
  // `allow_any_commit`: serve a commit asked for by its id even when no ref names it
  // (uploadpack.allowAnySHA1InWant); git's default is to refuse that.
  explicit GitDaemon(std::filesystem::path base, bool allow_any_commit = false);

  bool started() const { return m_process != nullptr; }
  std::uint16_t port() const { return m_port; }
  // "git://127.0.0.1:<port>/<repository relative to base>".
  std::string url(const std::filesystem::path& repository) const;
  void stop();
  std::string log() const;

private:
  std::filesystem::path m_base;
  TempDir m_dir{"cicd-git-daemon"};
  std::uint16_t m_port = 0;
  std::unique_ptr<ServerProcess> m_process;
};

// A private `sshd` on 127.0.0.1 with its own host key (ed25519) and authorized_keys, reached as
// the current user ("root" in the test containers). Public key authentication only.
// Thread safety: none.
class TestSshd {
public:
  TestSshd();

  bool started() const { return m_process != nullptr; }
  // Appends a public key line to its authorized_keys.
  void authorize(const std::string& public_key);
  // "ssh://<user>@127.0.0.1:<port>/<absolute path>".
  std::string url(const std::filesystem::path& repository) const;
  // What a host-key check sees: "127.0.0.1:<port>".
  std::string host() const;
  // Its host key's fingerprint as ssh-keygen -l prints it ("SHA256:…").
  const std::string& host_key_fingerprint() const { return m_fingerprint; }
  std::string log() const;

private:
  TempDir m_dir{"cicd-sshd"};
  std::string m_user;
  std::uint16_t m_port = 0;
  std::string m_fingerprint;
  std::unique_ptr<ServerProcess> m_process;
};

// `openssl s_server` on 127.0.0.1 with a self-signed certificate for 127.0.0.1: TLS that no
// client trusts, and no git server behind it. Thread safety: none.
class UntrustedTlsServer {
public:
  UntrustedTlsServer();

  bool started() const { return m_process != nullptr; }
  std::uint16_t port() const { return m_port; }
  std::string log() const;

private:
  TempDir m_dir{"cicd-tls-server"};
  std::uint16_t m_port = 0;
  std::unique_ptr<ServerProcess> m_process;
};

// A socket on 127.0.0.1 that listens and never accepts: connections succeed (the kernel
// completes them) and then hear nothing, like a hung server. Thread safety: none.
class SilentServer {
public:
  SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  ~SilentServer();

  std::uint16_t port() const { return m_port; }

private:
  int m_socket = -1;
  std::uint16_t m_port = 0;
};

} // namespace cicd::test

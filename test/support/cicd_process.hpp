#pragma once
// The built `cicd` binary (CICD_BINARY) as a child process: one-shot commands whose output the
// test reads, and long-running roles stopped with SIGTERM (then SIGKILL) at teardown.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cicd::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
public:
  explicit TempDir(std::string_view prefix = "cicd-test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

// A TCP port on 127.0.0.1 that was free a moment ago: the kernel's choice for port 0.
std::uint16_t free_port();

// What a spawned process gets besides its arguments.
struct SpawnInput {
  std::filesystem::path stdin_file = "/dev/null";
  std::optional<std::vector<std::string>> environment; // "NAME=value"; unset: the test's own
};

// Starts `argv` (argv[0] found on PATH unless it has a '/') with stdin from `input`'s file,
// stdout and stderr appended to the given files (they may be the same), in a process group of
// its own (stopping the group reaches what it forks, and a signal to the test's group does not
// reach it), with SIGTERM, SIGINT and SIGPIPE at their defaults. Returns -1 with errno set on
// failure.
pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    const std::filesystem::path& err, const SpawnInput& input = {});

struct CommandResult {
  int exit_code = -1; // the exit status, or 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `cicd <args>` to completion with stdin from /dev/null and returns what it printed.
// Kills it and fails the current test (exit_code -1) if it outlives `timeout`.
CommandResult run_cicd(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A long-running `cicd <args>` with stdout and stderr appended to `log_file`.
// Thread safety: none; use from the test's thread.
class CicdProcess {
public:
  CicdProcess(const std::vector<std::string>& args, std::filesystem::path log_file);
  CicdProcess(const CicdProcess&) = delete;
  CicdProcess& operator=(const CicdProcess&) = delete;
  // Stops the process if it still runs: never leaves a child behind.
  ~CicdProcess();

  pid_t pid() const { return m_pid; }
  // False once the process has exited (its status is then in exit_code()).
  bool running();
  int exit_code() const { return m_exit_code; }
  // SIGTERM, then SIGKILL if it has not exited after `grace`. Returns the exit status
  // (128 + signal when a signal ended it). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Everything the process has written so far.
  std::string log() const;

private:
  bool reap(int options);

  pid_t m_pid = -1;
  int m_exit_code = -1;
  std::filesystem::path m_log_file;
};

// Starts `cicd <args> --listen 127.0.0.1:<port>` on a free port and waits (10 s at most) until
// GET /healthz answers; tries another port when the chosen one was taken before the server
// bound it. Sets `port`. Throws with the process's log when it never answers.
std::unique_ptr<CicdProcess> start_serving(std::vector<std::string> args,
                                           const std::filesystem::path& log_file,
                                           std::uint16_t& port);

} // namespace cicd::test

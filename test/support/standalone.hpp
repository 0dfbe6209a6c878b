#pragma once
// A real `cicd standalone` (the API and an agent in one process) for end-to-end tests of the
// agent, plus what those tests need beyond support/http_client.hpp: a GET whose body is read
// as it arrives (`?follow=true`), the process's peak memory, and a lock that keeps agent tests
// sharing one Docker engine from running at the same time.

#include "support/cicd_process.hpp"
#include "support/http_client.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::test {

struct StandaloneOptions {
  int slots = 2;         // --slots
  int grace_seconds = 2; // --grace: SIGTERM → SIGKILL when a run is stopped
  // The agent's capacity for resource classes: --cpus and --memory-mib when set (> 0), else
  // the machine's.
  double cpus = 0;
  std::int64_t memory_mib = 0;
  // > 0: the agent's work dir is a tmpfs of this many bytes, mounted before the process starts
  // and unmounted after it stopped, so a test can fill the disk. Needs root.
  std::uint64_t work_dir_tmpfs_bytes = 0;
  std::vector<std::string> extra_args; // more options, like {"--retention-period", "0.5"}
};

// Thread safety: none; one per test.
class CicdStandalone {
public:
  // Starts `cicd standalone --data-dir <tmp>/data --listen 127.0.0.1:<free port>
  // --cpu-threshold 100 --slots N --grace S [--cpus C] [--memory-mib M]` with the test's
  // environment (DOCKER_HOST passes through) and waits (at most 10 s) until GET /healthz answers
  // 200. Throws std::runtime_error with its log when it does not come up.
  explicit CicdStandalone(StandaloneOptions options = {});
  CicdStandalone(const CicdStandalone&) = delete;
  CicdStandalone& operator=(const CicdStandalone&) = delete;
  ~CicdStandalone();

  std::uint16_t port() const { return m_port; }
  // The process id while it runs (for /proc/<pid>/status), -1 once stopped.
  pid_t pid() const;
  const std::filesystem::path& data_dir() const { return m_data_dir; }
  // Where the agent keeps its per-run temp dirs (run-<id>).
  std::filesystem::path work_dir() const { return m_data_dir / "work"; }
  // The agent id it labels its containers and networks with (cicd.agent=<id>).
  std::string agent_id() const;
  HttpClient client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return HttpClient("127.0.0.1", m_port, timeout);
  }

  // A token from `cicd standalone token create --data-dir … --sub e2e-<scope> --scope SCOPE`,
  // cached per scope.
  const std::string& token(const std::string& scope);

  // SIGTERM (the agent aborts what runs and cleans up), then SIGKILL after `grace`.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  std::string log() const;

private:
  TempDir m_dir;
  std::filesystem::path m_data_dir;
  std::uint16_t m_port = 0;
  std::unique_ptr<CicdProcess> m_process;
  std::map<std::string, std::string> m_tokens;
  bool m_work_dir_mounted = false;
};

struct StreamedResponse {
  int status = 0;
  std::string body;
  bool complete = false; // the server ended the body (else the deadline or an error ended it)
};

// GET `target` on 127.0.0.1:`port` and read the body as it arrives, passing each piece to
// `on_piece` (on this thread) as soon as it is read. Ends when the body ends, when on_piece
// returns false (the connection is dropped, as a client that went away) or after `timeout`
// in all; never throws for a cut or timed-out body (`complete` says which).
StreamedResponse stream_get(std::uint16_t port, std::string_view target, const HttpHeaders& headers,
                            const std::function<bool(std::string_view piece)>& on_piece,
                            std::chrono::milliseconds timeout);

// A line of /proc/<pid>/status in bytes, like "VmHWM" (peak resident set) or "VmRSS"; 0 when
// it cannot be read.
std::uint64_t proc_status_bytes(pid_t pid, std::string_view field);

// An exclusive lock for the tests that run jobs on the engine at `docker_socket`. CTest runs
// tests in parallel (`-j 2`), each with its own `cicd standalone` whose run ids all start
// at 1: without the lock, two of them would both create `cicd-run-1` on the same engine, and a
// test's "nothing labelled cicd.run=1 is left" would see the other test's run.
// Thread safety: none; one per test.
class EngineLock {
public:
  // Waits at most `timeout` for the lock; throws std::runtime_error when it does not come.
  EngineLock(const std::string& docker_socket, std::chrono::seconds timeout);
  EngineLock(const EngineLock&) = delete;
  EngineLock& operator=(const EngineLock&) = delete;
  ~EngineLock();

private:
  int m_fd = -1;
};

} // namespace cicd::test

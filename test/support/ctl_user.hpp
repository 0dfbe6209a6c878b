#pragma once
// `cicd ctl` as a person or a script runs it: a HOME of its own (so its config file is the
// test's), CICD_SERVER and CICD_TOKEN in its environment and nothing else of the test's, and
// stdin from a string. Runs to completion, or in the background while the test watches.

#include "cicd_process.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cicd::test {

class CtlUser;

// A `cicd ctl` started in the background. Killed on destruction if it still runs.
class BackgroundCtl {
public:
  BackgroundCtl(const CtlUser& user, const std::vector<std::string>& args);
  BackgroundCtl(const BackgroundCtl&) = delete;
  BackgroundCtl& operator=(const BackgroundCtl&) = delete;
  ~BackgroundCtl();

  pid_t pid() const { return m_pid; }
  std::string out() const; // what it printed so far
  std::string err() const;
  // Waits for it to exit; kills it and fails the test after `timeout`. The exit code.
  int wait(std::chrono::milliseconds timeout);

private:
  TempDir m_dir{"cicd-ctl-run"};
  pid_t m_pid = -1;
  int m_exit_code = -1;
  bool m_reaped = false;
};

class CtlUser {
public:
  // `server` is "http://127.0.0.1:PORT"; an empty token leaves CICD_TOKEN unset.
  CtlUser(std::string server, std::string token);

  // `cicd ctl <args>` with `input` on stdin and `extra` added to its environment.
  CommandResult run(const std::vector<std::string>& args, const std::string& input = {},
                    const std::map<std::string, std::string>& extra = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  const std::filesystem::path& home() const { return m_home.path(); }
  std::vector<std::string> environment(const std::map<std::string, std::string>& extra) const;

private:
  std::string m_server;
  std::string m_token;
  TempDir m_home{"cicd-ctl-home"};
};

} // namespace cicd::test

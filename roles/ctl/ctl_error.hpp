#pragma once
// How `cicd ctl` ends: an exit code scripts can branch on, and one line for people.

#include <stdexcept>
#include <string>

namespace cicd::ctl {

enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_failed = 1,  // the run failed (its script exited non-zero)
  k_exit_errored = 2, // the run errored, timed out or was aborted
  k_exit_usage = 3,   // the command line was wrong
  k_exit_server = 4,  // the server refused the request, or could not be reached
};

// Thrown to stop a command: main prints "cicd ctl: <message>" (and the hint on its own line)
// and exits with `code`.
class CtlError : public std::runtime_error {
public:
  CtlError(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}
  ExitCode code() const { return m_code; }
  const std::string& hint() const { return m_hint; }

private:
  ExitCode m_code;
  std::string m_hint;
};

inline CtlError usage_error(const std::string& message) {
  return CtlError(k_exit_usage, message, "see `cicd ctl --help`");
}

} // namespace cicd::ctl

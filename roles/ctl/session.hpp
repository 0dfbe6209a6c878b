#pragma once
// What every `cicd ctl` command works with: the connection (resolved on first use, so that
// `completion` and `login` need none) and the terminal.

#include "api_client.hpp"
#include "command_line.hpp"
#include "ctl_config.hpp"
#include "output.hpp"

#include <memory>

namespace cicd::ctl {

class Session {
public:
  Session(ConnectionFlags flags, Terminal terminal)
      : m_flags(std::move(flags)), m_terminal(terminal) {}

  ApiClient& api() {
    if (!m_api) {
      m_api = std::make_unique<ApiClient>(resolve_connection(m_flags));
    }
    return *m_api;
  }
  const ConnectionFlags& flags() const { return m_flags; }
  const Terminal& terminal() const { return m_terminal; }

private:
  ConnectionFlags m_flags;
  Terminal m_terminal;
  std::unique_ptr<ApiClient> m_api;
};

// A run as commands name it: "JOB/ID" (what `cicd ctl run` prints).
struct RunRef {
  std::string job;
  std::int64_t id = 0;
  std::string path() const; // /jobs/JOB/runs/ID
};
RunRef parse_run_ref(const std::string& text);

// The command's -o/--output: table (default), json or yaml.
Format take_format(CommandLine& args);

// Reads a secret (a token, a value) from stdin: without echo after `prompt` on a terminal;
// from a pipe whole, with one trailing newline removed (what `echo value |` adds).
std::string read_secret_from_stdin(const std::string& prompt);

// The exit code for a run's final status: 0 succeeded, 1 failed, 2 anything else.
int exit_code_for(std::string_view status);

using CommandFunction = int (*)(Session&, CommandLine&);

// The commands, one function each (jobs_commands.cpp, runs_commands.cpp, …).
int jobs_list(Session&, CommandLine&);
int jobs_get(Session&, CommandLine&);
int jobs_delete(Session&, CommandLine&);
int runs_list(Session&, CommandLine&);
int runs_get(Session&, CommandLine&);
int runs_abort(Session&, CommandLine&);
int run_job(Session&, CommandLine&);
int logs(Session&, CommandLine&);
int secrets_set(Session&, CommandLine&);
int secrets_list(Session&, CommandLine&);
int secrets_delete(Session&, CommandLine&);
int agents_list(Session&, CommandLine&);
int agents_drain(Session&, CommandLine&);
int token_create(Session&, CommandLine&);
int results_list(Session&, CommandLine&);
int results_download(Session&, CommandLine&);
int login(Session&, CommandLine&);
int apply(Session&, CommandLine&);        // apply_command.cpp
int export_state(Session&, CommandLine&); // export_command.cpp
int completion(Session&, CommandLine&);

} // namespace cicd::ctl

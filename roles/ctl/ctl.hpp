#pragma once
// `cicd ctl`: the command-line client of the REST API (docs/ctl.md).

namespace cicd::ctl {

// `cicd ctl <command> …`. Returns the exit code (see ExitCode in ctl_error.hpp).
int run_ctl(int argc, const char* const* argv);

} // namespace cicd::ctl

// `cicd <role> …`: maps the role to its entry function and holds the only top-level catch.
#include "agent/agent.hpp"
#include "ctl/ctl.hpp"
#include "master/master.hpp"
#include "standalone/standalone.hpp"
#include "ui/ui.hpp"

#include "cicd/core/error.hpp"

#include <cstdio>
#include <exception>
#include <string_view>

namespace {

constexpr const char* k_usage =
    "Usage: cicd <role> [options]     (cicd <role> --help for each)\n\n"
    "Roles:\n"
    "  standalone   master + agent + ui in one process (SQLite, in-process queue)\n"
    "  master       the REST API\n"
    "  agent        runs jobs in Docker\n"
    "  ui           web pages\n"
    "  ctl          the command-line client\n\n"
    "  --version    print the version\n";

} // namespace

int main(int argc, char** argv) {
  try {
    std::string_view role = argc > 1 ? argv[1] : "";
    const char* const* role_argv = argv + 1;
    int role_argc = argc - 1;
    if (role == "--version" || role == "version") {
      std::printf("cicd %s\n", CICD_VERSION);
      return 0;
    }
    if (role == "master") {
      return cicd::master::run_master(role_argc, role_argv);
    }
    if (role == "standalone") {
      return cicd::standalone::run_standalone(role_argc, role_argv);
    }
    if (role == "agent") {
      return cicd::agent::run_agent(role_argc, role_argv);
    }
    if (role == "ctl") {
      return cicd::ctl::run_ctl(role_argc, role_argv);
    }
    if (role == "ui") {
      return cicd::ui::run_ui(role_argc, role_argv);
    }
    std::fputs(k_usage, role.empty() || role == "--help" || role == "-h" ? stdout : stderr);
    return role.empty() || role == "--help" || role == "-h" ? 0 : 2;
  } catch (const cicd::Fatal& e) {
    std::fprintf(stderr, "cicd: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cicd: unexpected error: %s\n", e.what());
    return 1;
  }
}

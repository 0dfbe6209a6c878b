#include "standalone.hpp"

#include "../master/master.hpp"

#include "cicd/core/log.hpp"

namespace cicd::standalone {
namespace po = boost::program_options;

namespace {
constexpr const char* k_usage =
    "Usage: cicd standalone [options]\n"
    "       cicd standalone token create --sub NAME --scope read|trigger|admin [--ttl 30d]\n\n"
    "Runs the API, and (once built) the agent and the UI, in one process on SQLite, an\n"
    "in-process queue and results on disk under --data-dir.";
} // namespace

int run_standalone(int argc, const char* const* argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "token") {
    return master::create_token("standalone", argc - 1, argv + 1);
  }
  config::ServiceOptions options;
  po::options_description description("Standalone");
  config::add_service_options(description, options);
  auto vm = config::parse_options("standalone", argc, argv, description, k_usage);
  if (vm.empty()) {
    return 0;
  }
  config::resolve_defaults(options);
  master::serve_api(options, [](std::uint16_t) {
    log::warn("the agent is not built yet: runs are recorded and stay queued");
  });
  return 0;
}

} // namespace cicd::standalone

// The options of the API's limits, shared by `cicd master` and `cicd standalone`.
#include "master.hpp"

#include <boost/program_options/value_semantic.hpp>

namespace cicd::master {
namespace po = boost::program_options;

void add_api_limit_options(po::options_description& description, ApiLimitOptions& target) {
  auto seconds = [](std::chrono::seconds& value) {
    return po::value<std::int64_t>()
        ->default_value(value.count())
        ->notifier([&value](std::int64_t given) { value = std::chrono::seconds(given); });
  };
  auto& server = target.server;
  description.add_options()(
      "rate-limit",
      po::value(&target.rates.requests_per_second)->default_value(target.rates.requests_per_second),
      "requests a second one token (subject) may send, in bursts of twice "
      "that; more are answered 429 with Retry-After (0: no limit)")(
      "trigger-rate-limit",
      po::value(&target.rates.triggers_per_minute)->default_value(target.rates.triggers_per_minute),
      "runs a minute one token may trigger, rerun or abort (0: no limit)")(
      "body-limit", po::value(&server.body_limit)->default_value(server.body_limit),
      "bytes a request body may have (larger: 413)")(
      "header-limit", po::value(&server.header_limit)->default_value(server.header_limit),
      "bytes a request's headers may have (larger: 431)")(
      "read-timeout", seconds(server.read_timeout),
      "seconds a request may take to arrive once its first byte has (slow clients are cut off)")(
      "idle-timeout", seconds(server.idle_timeout),
      "seconds a connection may wait for its next request")(
      "max-connections", po::value(&server.max_connections)->default_value(server.max_connections),
      "connections open at once; one more is answered 503 and closed");
}

void check_api_limit_options(const ApiLimitOptions& options) {
  const auto& server = options.server;
  if (options.rates.requests_per_second < 0 || options.rates.triggers_per_minute < 0) {
    throw Fatal("--rate-limit and --trigger-rate-limit must be 0 (no limit) or more", 2);
  }
  if (server.body_limit < 1024 || server.header_limit < 1024) {
    throw Fatal("--body-limit and --header-limit must be at least 1024 bytes", 2);
  }
  if (server.read_timeout.count() < 1 || server.idle_timeout.count() < 1) {
    throw Fatal("--read-timeout and --idle-timeout must be at least 1 second", 2);
  }
  if (server.max_connections < 1) {
    throw Fatal("--max-connections must be at least 1", 2);
  }
}

} // namespace cicd::master

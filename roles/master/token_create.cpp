// `cicd <role> token create`: mints an API token from the configured key.
#include "master.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/model/duration.hpp"

#include <iostream>

namespace cicd::master {
namespace po = boost::program_options;

int create_token(const std::string& role, int argc, const char* const* argv) {
  if (argc < 2 || std::string_view(argv[1]) != "create") {
    throw Fatal("usage: cicd " + role +
                    " token create --sub NAME --scope read|trigger|admin "
                    "[--ttl 30d]",
                2);
  }
  config::ServiceOptions options;
  std::string subject;
  std::string scope_text;
  std::string ttl_text = "30d";
  po::options_description description("Token");
  config::add_service_options(description, options);
  description.add_options()("sub", po::value(&subject)->required(),
                            "who the token is for (a person or a system)")(
      "scope", po::value(&scope_text)->required(), "read, trigger or admin")(
      "ttl", po::value(&ttl_text)->default_value(ttl_text), "lifetime, like 12h or 30d");
  auto vm = config::parse_options(role, argc - 1, argv + 1, description,
                                  "Usage: cicd " + role +
                                      " token create --sub NAME --scope "
                                      "read|trigger|admin [--ttl 30d]\n\nPrints a new API token.");
  if (vm.empty()) {
    return 0;
  }
  config::resolve_defaults(options);
  auto scope = auth::parse_scope(scope_text);
  if (!scope) {
    throw Fatal("--scope must be read, trigger or admin", 2);
  }
  if (subject.empty() || subject.size() > 200) {
    throw Fatal("--sub must be 1 to 200 characters", 2);
  }
  auto ttl = model::parse_duration(ttl_text, "--ttl", std::chrono::hours(24 * 3650));
  if (!ttl) {
    throw Fatal(ttl.error().message, 2);
  }
  auto keys = config::load_keys(options);
  auth::Claims claims;
  claims.subject = subject;
  claims.scope = *scope;
  claims.issued_at = now_unix_ms() / 1000;
  claims.expires_at = claims.issued_at + ttl->count();
  auto token = keys.token_key.sign(claims);
  if (!token) {
    throw Fatal(token.error().message);
  }
  std::cout << *token << "\n";
  return 0;
}

} // namespace cicd::master

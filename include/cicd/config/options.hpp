#pragma once
// Options shared by the server roles, with one spelling everywhere. Each option comes from,
// in order of precedence: the command line, the environment (CICD_DATA_DIR for --data-dir),
// and the role's config file (/etc/cicd/<role>.conf, or --config FILE).

#include "cicd/auth/token.hpp"
#include "cicd/crypto/secret_box.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

#include <cstdint>
#include <string>

namespace cicd::config {

struct ServiceOptions {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "/var/lib/cicd";
  std::string db;          // default: sqlite://<data-dir>/cicd.db
  std::string queue;       // default: inproc:
  std::string results;     // default: file://<data-dir>/results
  std::string jwt_key;     // default: <data-dir>/jwt.key, created when absent
  std::string secrets_key; // default: <data-dir>/secrets.key, created when absent
};

// Adds the shared options, storing into `target` (which holds the defaults).
void add_service_options(boost::program_options::options_description& description,
                         ServiceOptions& target);

// Parses argv (from the role's own arguments on), the environment and the config file.
// Returns an empty map when --help was given (after printing `usage` and the options).
// Throws Fatal (exit code 2) for unknown or malformed options.
boost::program_options::variables_map
parse_options(const std::string& role, int argc, const char* const* argv,
              const boost::program_options::options_description& description,
              const std::string& usage,
              const boost::program_options::positional_options_description* positional = nullptr);

// Fills the defaults that depend on --data-dir.
void resolve_defaults(ServiceOptions& options);

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
// "HOST:PORT" or "[v6]:PORT". Throws Fatal (exit code 2).
ListenAddress parse_listen(const std::string& listen);

struct Keys {
  auth::TokenKey token_key;
  crypto::SecretBox secret_box;
};

// Loads the JWT and secrets keys, creating the data dir (0750) and any default key file that
// is absent. Throws Fatal naming the file.
Keys load_keys(const ServiceOptions& options);

} // namespace cicd::config

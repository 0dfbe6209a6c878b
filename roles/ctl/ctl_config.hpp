#pragma once
// Where `cicd ctl` connects and as whom: --server/--token, else CICD_SERVER/CICD_TOKEN, else
// the config file's context (--context NAME, else its current-context). The file is
// ~/.config/cicd/config (or $XDG_CONFIG_HOME/cicd/config, or --config FILE), YAML:
//
//   current-context: prod
//   contexts:
//     prod: {server: https://ci.example.org, token: eyJ…, ca-file: /etc/ssl/ci-ca.pem}
//
// ca-file (or --ca-file, or CICD_CA_FILE) names the CAs that sign the server's certificate when
// the system's store does not hold them; the certificate is always checked.
//
// It holds tokens, so it is written mode 0600 (and its folder 0700) and a token never comes
// from argv unless --token is given explicitly.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace cicd::ctl {

struct ContextEntry {
  std::string server;
  std::string token;
  std::string ca_file; // empty: the system's CA store
};

struct ConfigFile {
  std::string current_context;
  std::map<std::string, ContextEntry> contexts;
};

std::filesystem::path default_config_path();
// An absent file is an empty config; a malformed one is a usage error naming the file.
ConfigFile read_config(const std::filesystem::path& path);
// Writes the whole file atomically, mode 0600.
void write_config(const std::filesystem::path& path, const ConfigFile& config);

struct Connection {
  std::string server;  // without a trailing '/'
  std::string token;   // may be empty: the server then answers 401
  std::string ca_file; // empty: the system's CA store
};

struct ConnectionFlags {
  std::optional<std::string> server, token, context, ca_file;
  std::filesystem::path config;
};

// Resolves the connection; a usage error when no server is known at all.
Connection resolve_connection(const ConnectionFlags& flags);

} // namespace cicd::ctl

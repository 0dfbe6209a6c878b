#include "cicd/config/options.hpp"

#include <boost/program_options/parsers.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

namespace cicd::config {
namespace po = boost::program_options;

void add_service_options(po::options_description& description, ServiceOptions& target) {
  description.add_options()("listen", po::value(&target.listen)->default_value(target.listen),
                            "address and port to serve on, HOST:PORT")(
      "data-dir", po::value(&target.data_dir)->default_value(target.data_dir),
      "where the SQLite file, the keys and (standalone) the results live")(
      "db", po::value(&target.db), "database URL: sqlite:///path/cicd.db or postgresql://…")(
      "queue", po::value(&target.queue), "queue URL: inproc: or amqp://…")(
      "results", po::value(&target.results), "result store URL: file:///dir or s3://…")(
      "jwt-key", po::value(&target.jwt_key),
      "key file for API tokens: an HS256 secret, or a PEM key (RS256/ES256)")(
      "secrets-key", po::value(&target.secrets_key),
      "key file (64 hex digits) encrypting job secrets at rest");
}

po::variables_map parse_options(const std::string& role, int argc, const char* const* argv,
                                const po::options_description& description,
                                const std::string& usage,
                                const po::positional_options_description* positional) {
  po::options_description all("Options");
  all.add_options()("help,h", "show this help and exit")(
      "config", po::value<std::string>(), "config file (default /etc/cicd/<role>.conf)");
  all.add(description);
  po::variables_map vm;
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(all);
    if (positional != nullptr) {
      parser.positional(*positional);
    }
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << all << "\n";
      return {};
    }
    po::store(po::parse_environment(all,
                                    [&](const std::string& variable) -> std::string {
                                      if (!variable.starts_with("CICD_")) {
                                        return {};
                                      }
                                      std::string name = variable.substr(5);
                                      for (auto& c : name) {
                                        c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
                                      }
                                      bool known = all.find_nothrow(name, false) != nullptr &&
                                                   name != "help";
                                      return known ? name : std::string();
                                    }),
              vm);
    std::string config_file = "/etc/cicd/" + role + ".conf";
    bool explicit_config = vm.count("config") > 0;
    if (explicit_config) {
      config_file = vm["config"].as<std::string>();
    }
    if (explicit_config || std::filesystem::exists(config_file)) {
      try {
        po::store(po::parse_config_file(config_file.c_str(), all, false), vm);
      } catch (const po::reading_file&) {
        throw Fatal(fmt::format("cannot read the config file {}", config_file), 2);
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Fatal(fmt::format("cicd {}: {} (see cicd {} --help)", role, e.what(), role), 2);
  }
  return vm;
}

void resolve_defaults(ServiceOptions& options) {
  auto dir = std::filesystem::absolute(options.data_dir);
  options.data_dir = dir.string();
  if (options.db.empty()) {
    options.db = "sqlite://" + (dir / "cicd.db").string();
  }
  if (options.queue.empty()) {
    options.queue = "inproc:";
  }
  if (options.results.empty()) {
    options.results = "file://" + (dir / "results").string();
  }
  if (options.jwt_key.empty()) {
    options.jwt_key = (dir / "jwt.key").string();
  }
  if (options.secrets_key.empty()) {
    options.secrets_key = (dir / "secrets.key").string();
  }
}

ListenAddress parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  auto fail = [&]() -> ListenAddress {
    throw Fatal(fmt::format("--listen must be HOST:PORT (like 127.0.0.1:8080), not '{}'", listen),
                2);
  };
  if (colon == std::string::npos || colon == 0) {
    return fail();
  }
  std::string host = listen.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port > 65535) {
      return fail();
    }
  } catch (const std::exception&) {
    return fail();
  }
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

Keys load_keys(const ServiceOptions& options) {
  std::filesystem::path dir(options.data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw Fatal(fmt::format("cannot create the data dir {}: {} (choose another with --data-dir)",
                              dir.string(), ec.message()));
    }
    std::filesystem::permissions(dir, std::filesystem::perms(0750), ec);
  }
  auto default_jwt = (dir / "jwt.key").string();
  auto default_secrets = (dir / "secrets.key").string();
  if (options.jwt_key == default_jwt) {
    auth::TokenKey::create_hs256_file_if_absent(default_jwt);
  }
  if (options.secrets_key == default_secrets) {
    crypto::SecretBox::create_key_file_if_absent(default_secrets);
  }
  return Keys{auth::TokenKey::load(options.jwt_key), crypto::SecretBox::load(options.secrets_key)};
}

} // namespace cicd::config

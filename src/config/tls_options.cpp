#include "cicd/config/tls_options.hpp"

#include "cicd/core/error.hpp"

#include <boost/program_options/value_semantic.hpp>

namespace cicd::config {
namespace po = boost::program_options;

void add_tls_options(po::options_description& description, http::ServerOptions& target) {
  description.add_options()("tls-cert", po::value(&target.tls.cert_file),
                            "serve HTTPS with this certificate (PEM, the chain after it); "
                            "SIGHUP reloads it")("tls-key", po::value(&target.tls.key_file),
                                                 "the certificate's private key (PEM)")(
      "trusted-proxy", po::value(&target.trusted_proxies)->composing(),
      "a TLS-terminating proxy's address or CIDR range whose X-Forwarded-Proto is believed "
      "(repeat it, or separate with commas)");
}

void check_tls_options(http::ServerOptions& options) {
  if (options.tls.cert_file.empty() != options.tls.key_file.empty()) {
    throw Fatal("give both --tls-cert and --tls-key to serve HTTPS, or neither", 2);
  }
  std::vector<std::string> proxies;
  for (const auto& value : options.trusted_proxies) {
    std::size_t start = 0;
    while (start <= value.size()) {
      auto comma = value.find(',', start);
      auto item =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      while (!item.empty() && item.front() == ' ') {
        item.erase(0, 1);
      }
      while (!item.empty() && item.back() == ' ') {
        item.pop_back();
      }
      if (!item.empty()) {
        proxies.push_back(item);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  options.trusted_proxies = std::move(proxies);
}

} // namespace cicd::config

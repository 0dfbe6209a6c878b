#pragma once
// The HTTPS options of the serving roles (master, standalone, ui), one spelling everywhere:
// --tls-cert FILE and --tls-key FILE (PEM; both or neither) and --trusted-proxy CIDR (any
// number of times, or comma-separated: the proxies whose X-Forwarded-Proto is believed).

#include "cicd/http/server.hpp"

#include <boost/program_options/options_description.hpp>

namespace cicd::config {

void add_tls_options(boost::program_options::options_description& description,
                     http::ServerOptions& target);
// Throws Fatal (exit 2) when only one of --tls-cert and --tls-key is given. Splits
// comma-separated --trusted-proxy values.
void check_tls_options(http::ServerOptions& options);

} // namespace cicd::config

#include "amqp_url.hpp"

#include "cicd/core/error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

#include <charconv>

namespace cicd::queue {
namespace {

const char* k_form = "amqp://user:password@host:port/vhost";

[[noreturn]] void refuse(const std::string& what) {
  throw Fatal(fmt::format("--queue {}: write it as {}", what, k_form), 2);
}

} // namespace

std::string AmqpAddress::describe() const {
  return fmt::format("{}:{} vhost {}", host, port, vhost);
}

AmqpAddress parse_amqp_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    // The message of a parse error names no place; the URL itself may hold a password.
    refuse("is not a valid URL");
  }
  const auto& uri = *parsed;
  if (uri.scheme() == "amqps") {
    refuse("amqps:// (TLS) is not supported yet; use amqp:// on a trusted network,");
  }
  if (uri.scheme() != "amqp") {
    refuse("must start with amqp://");
  }
  if (!uri.has_authority() || uri.encoded_host().empty()) {
    refuse("names no host");
  }
  if (uri.has_query() || uri.has_fragment()) {
    refuse("takes no ?query or #fragment");
  }

  AmqpAddress address;
  address.host = uri.host_address();
  if (uri.has_port()) {
    // port() holds digits only (RFC 3986); port_number() would wrap a port past 65535.
    auto port = uri.port();
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
        address.port < 1 || address.port > 65535) {
      refuse(fmt::format("has the port \"{}\"; a port is 1 to 65535", std::string(port)));
    }
  }
  if (uri.has_userinfo()) {
    address.user = uri.user();
    address.password = uri.has_password() ? uri.password() : std::string();
    if (address.user.empty()) {
      refuse("has an empty user name");
    }
  }

  auto path = uri.encoded_path();
  if (path.size() > 1) {
    auto vhost = path.substr(1);
    if (vhost.find('/') != boost::urls::string_view::npos) {
      refuse("has a vhost with an unencoded \"/\"; encode it as %2F (the vhost \"/\" is %2F)");
    }
    // Checked by parse_uri already: valid percent-encoding.
    address.vhost = boost::urls::make_pct_string_view(vhost)->decode();
  }
  return address;
}

} // namespace cicd::queue

#include "forwarded.hpp"

#include "cicd/http/server.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace cicd::http {
namespace asio = boost::asio;
namespace field = boost::beast::http;

namespace {

// An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d: compare it as IPv4.
asio::ip::address plain(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 int prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i, prefix -= 8) {
    unsigned mask = prefix >= 8 ? 0xffu : (0xffu << (8 - prefix)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) {
      return false;
    }
  }
  return true;
}

} // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& cidrs) {
  for (const auto& text : cidrs) {
    auto bad = [&text](const std::string& why) {
      return Fatal(fmt::format("--trusted-proxy '{}': {}; give an address or a CIDR range such "
                               "as 10.0.0.0/8",
                               text, why),
                   2);
    };
    auto slash = text.find('/');
    boost::system::error_code ec;
    auto address = asio::ip::make_address(text.substr(0, slash), ec);
    if (ec) {
      throw bad("not an IP address");
    }
    address = plain(address);
    int bits = address.is_v4() ? 32 : 128;
    int prefix = bits;
    if (slash != std::string::npos) {
      auto digits = std::string_view(text).substr(slash + 1);
      auto [end, parse_ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (parse_ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
          prefix < 0 || prefix > bits) {
        throw bad(fmt::format("the prefix length must be 0 to {}", bits));
      }
    }
    m_ranges.push_back(Range{address, prefix});
  }
}

bool TrustedProxies::contains(const asio::ip::address& peer_address) const {
  auto peer = plain(peer_address);
  for (const auto& range : m_ranges) {
    if (peer.is_v4() && range.network.is_v4() &&
        same_prefix(peer.to_v4().to_bytes(), range.network.to_v4().to_bytes(), range.prefix)) {
      return true;
    }
    if (peer.is_v6() && range.network.is_v6() &&
        same_prefix(peer.to_v6().to_bytes(), range.network.to_v6().to_bytes(), range.prefix)) {
      return true;
    }
  }
  return false;
}

void settle_forwarded_headers(Request& request, bool tls, bool trusted) {
  if (!trusted) {
    request.erase("X-Forwarded-Proto");
    request.erase("X-Forwarded-Host");
    request.erase("X-Forwarded-For");
    request.erase(field::field::forwarded);
  }
  if (tls) {
    request.set("X-Forwarded-Proto", "https");
  }
}

bool request_is_https(const Request& request) {
  return boost::iequals(request["X-Forwarded-Proto"], "https");
}

void make_cookies_secure(Response& response) {
  std::vector<std::string> cookies;
  for (auto [it, end] = response.equal_range(field::field::set_cookie); it != end; ++it) {
    std::string cookie(it->value());
    std::string lower = cookie;
    for (auto& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower.find("; secure") == std::string::npos) {
      cookie += "; Secure";
    }
    cookies.push_back(std::move(cookie));
  }
  if (cookies.empty()) {
    return;
  }
  response.erase(field::field::set_cookie);
  for (const auto& cookie : cookies) {
    response.insert(field::field::set_cookie, cookie);
  }
}

} // namespace cicd::http

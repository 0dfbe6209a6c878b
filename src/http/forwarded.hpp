#pragma once
// Which scheme a request came by. A TLS connection is https; a plain one is http unless its
// peer is a trusted proxy (--trusted-proxy CIDR) that says otherwise in X-Forwarded-Proto.
// The server removes X-Forwarded-* and Forwarded from every other peer's requests, so that a
// handler may believe what it finds there.

#include "cicd/http/message.hpp"

#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

namespace cicd::http {

// Thread safety: immutable after construction.
class TrustedProxies {
public:
  // "10.0.0.0/8", "192.0.2.7", "2001:db8::/32". Throws Fatal (exit 2) naming a bad entry.
  explicit TrustedProxies(const std::vector<std::string>& cidrs);
  bool contains(const boost::asio::ip::address& peer) const;

private:
  struct Range {
    boost::asio::ip::address network;
    int prefix = 0;
  };
  std::vector<Range> m_ranges;
};

// Strips the forwarding headers unless `trusted`, and marks a request that came over TLS
// "X-Forwarded-Proto: https".
void settle_forwarded_headers(Request& request, bool tls, bool trusted);

// Marks every Set-Cookie of `response` Secure (a cookie set over HTTPS never travels over
// plain HTTP).
void make_cookies_secure(Response& response);

} // namespace cicd::http

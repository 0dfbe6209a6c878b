#pragma once
// A blocking HTTP/1.1 client on Boost.Beast for tests: one connection per request, a deadline
// on every connect, read and write, and a raw mode that sends bytes exactly as given (for
// malformed requests the typed API cannot express).

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::test {

struct HttpResponse {
  int status = 0;
  boost::beast::http::fields headers; // case-insensitive
  std::string body;

  // The header's value, or empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Thread safety: none; one client per thread.
class HttpClient {
public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends one request on a fresh connection and reads the response. Adds Host,
  // Connection: close and, for a body or a POST/PUT, Content-Length. A response sent before
  // the whole body was read (413) is returned like any other. Throws std::runtime_error when
  // no response arrives (network failure or timeout).
  HttpResponse request(boost::beast::http::verb method, std::string_view target,
                       std::string_view body = {}, const HttpHeaders& headers = {}) const;

  // Writes `bytes` as they are on a fresh connection, then reads one response. A write that
  // fails part-way (the server answered early and closed) is not an error: the response the
  // server sent before closing is still read.
  HttpResponse raw(std::string_view bytes) const;

  std::uint16_t port() const { return m_port; }

private:
  std::string m_host;
  std::uint16_t m_port;
  std::chrono::milliseconds m_timeout;
};

} // namespace cicd::test

#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <stdexcept>

namespace cicd::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint64_t k_response_body_limit = 64 * 1024 * 1024;

// One connection driven synchronously: each operation is started asynchronously (so that
// beast::tcp_stream's deadline applies to it) and the io_context runs until it completes.
class Connection {
public:
  Connection(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout)
      : m_stream(m_io), m_timeout(timeout) {
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    m_stream.expires_after(m_timeout);
    auto ec = run([&](auto handler) { m_stream.async_connect(endpoint, handler); });
    if (ec) {
      throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
    }
  }

  beast::error_code write(std::string_view bytes) {
    m_stream.expires_after(m_timeout);
    return run([&](auto handler) {
      asio::async_write(m_stream, asio::buffer(bytes.data(), bytes.size()),
                        [handler](beast::error_code ec, std::size_t) { handler(ec); });
    });
  }

  beast::error_code write(http::request<http::string_body>& request) {
    m_stream.expires_after(m_timeout);
    return run([&](auto handler) {
      http::async_write(m_stream, request,
                        [handler](beast::error_code ec, std::size_t) { handler(ec); });
    });
  }

  HttpResponse read_response(bool head_request) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(k_response_body_limit);
    parser.skip(head_request);
    m_stream.expires_after(m_timeout);
    auto ec = run([&](auto handler) {
      http::async_read(m_stream, m_buffer, parser,
                       [handler](beast::error_code e, std::size_t) { handler(e); });
    });
    if (ec) {
      throw std::runtime_error("no HTTP response from the server: " + ec.message());
    }
    auto message = parser.release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message.base()) {
      response.headers.insert(field.name_string(), field.value());
    }
    response.body = std::move(message.body());
    return response;
  }

  void close() {
    beast::error_code ignored;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    m_stream.socket().close(ignored);
  }

private:
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    bool done = false;
    start([&result, &done](beast::error_code ec) {
      result = ec;
      done = true;
    });
    m_io.restart();
    m_io.run();
    if (!done) {
      return asio::error::timed_out;
    }
    return result;
  }

  asio::io_context m_io;
  beast::tcp_stream m_stream;
  beast::flat_buffer m_buffer;
  std::chrono::milliseconds m_timeout;
};

} // namespace

std::string HttpResponse::header(std::string_view name) const {
  auto it = headers.find(beast::string_view(name.data(), name.size()));
  return it == headers.end() ? std::string() : std::string(it->value());
}

bool HttpResponse::has_header(std::string_view name) const {
  return headers.find(beast::string_view(name.data(), name.size())) != headers.end();
}

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : m_host(std::move(host)), m_port(port), m_timeout(timeout) {}

HttpResponse HttpClient::request(http::verb method, std::string_view target, std::string_view body,
                                 const HttpHeaders& headers) const {
  http::request<http::string_body> request(method, beast::string_view(target.data(), target.size()),
                                           11);
  request.set(http::field::host, m_host + ":" + std::to_string(m_port));
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) {
    request.insert(name, value);
  }
  request.body() = std::string(body);
  if (!body.empty() || method == http::verb::post || method == http::verb::put) {
    request.prepare_payload();
  }
  Connection connection(m_host, m_port, m_timeout);
  // A server may answer before it has read the whole body (413) and close: the answer counts.
  auto write_error = connection.write(request);
  try {
    auto response = connection.read_response(method == http::verb::head);
    connection.close();
    return response;
  } catch (const std::runtime_error& e) {
    if (write_error) {
      throw std::runtime_error("cannot send the request (" + write_error.message() + "); " +
                               e.what());
    }
    throw;
  }
}

HttpResponse HttpClient::raw(std::string_view bytes) const {
  Connection connection(m_host, m_port, m_timeout);
  (void)connection.write(bytes); // the server may answer and close before reading it all
  auto response = connection.read_response(false);
  connection.close();
  return response;
}

} // namespace cicd::test

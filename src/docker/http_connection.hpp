#pragma once
// The HTTP/1.1 plumbing of the Docker client: one blocking exchange per connection on the
// engine's unix socket, each I/O bounded by a deadline.
//
// Blocking with deadlines: every operation is started asynchronously on the connection's own
// io_context and that context is run for the time left; an operation that does not finish
// in time closes the socket (so nothing half-read is ever reused) and fails as unavailable.

#include "cicd/core/error.hpp"
#include "cicd/docker/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/verb.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::docker::detail {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

// Time limits of one call: everything must end by `deadline`, and each single read or write
// within `per_io`. Unset means no limit of that kind.
struct Limits {
  std::optional<Clock::time_point> deadline;
  std::optional<Clock::duration> per_io;
  // Asked every k_stop_poll while an operation waits; true gives up on the call (a run
  // aborted while its image is being pulled).
  std::function<bool()> stop;

  // The whole call within `total`.
  static Limits within(Clock::duration total) { return {Clock::now() + total, std::nullopt, {}}; }
  // Each read or write within `idle`, however long the whole transfer takes.
  static Limits each_io_within(Clock::duration idle) { return {std::nullopt, idle, {}}; }
  static Limits none() { return {}; }
};

inline constexpr std::chrono::milliseconds k_stop_poll{200};

// The body of a request whose length is known up front.
struct RequestBody {
  std::string_view bytes;
  std::string_view content_type; // e.g. "application/json"
};

// One request and its response on a fresh connection.
// Thread safety: none; each call of the client makes its own.
class Connection {
public:
  // `target` is below the API version prefix ("/containers/json?all=1").
  Connection(std::string socket_path, http::verb method, std::string target, Limits limits);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  void set_limits(Limits limits) { m_limits = limits; }

  // Connects and sends the request with `body` (empty: no body).
  Result<void> send(const RequestBody& body = {});
  // Connects and sends the request with a body of unknown length, chunked, from `source`.
  Result<void> send_chunked(std::string_view content_type, const ChunkSource& source);

  // Reads the status line and headers; returns the status code.
  Result<unsigned> read_header();
  // Streams the body to `sink` in pieces of at most k_body_buffer_size bytes. Returns early,
  // successfully, when `sink` returns false (the connection is then unusable).
  Result<void> read_body(const ChunkSink& sink);
  // Reads the whole body; internal error when it is larger than `limit`.
  Result<std::string> read_body_text(std::size_t limit);

  // "GET /containers/x/json", for messages.
  std::string what() const;

  static constexpr std::size_t k_body_buffer_size = 64 * 1024;

private:
  Result<void> connect();
  template <class Initiate>
  boost::system::error_code run(Initiate&& initiate);
  Error io_error(const boost::system::error_code& ec, std::string_view during) const;

  std::string m_socket_path;
  http::verb m_method;
  std::string m_target;
  Limits m_limits;
  boost::asio::io_context m_io{1};
  boost::asio::local::stream_protocol::socket m_socket{m_io};
  boost::beast::flat_buffer m_buffer;
  std::optional<http::response_parser<http::buffer_body>> m_parser;
  boost::system::error_code m_write_error; // of the request body, reported if no answer comes
};

struct Response {
  unsigned status = 0;
  std::string body;
};

// Bodies read whole (JSON answers, error messages) must stay below this.
inline constexpr std::size_t k_max_json_response = 16 * 1024 * 1024;

// Sends one request and reads the whole response, whatever its status.
Result<Response> round_trip(const std::string& socket_path, http::verb method,
                            const std::string& target, const RequestBody& body = {},
                            Limits limits = Limits::within(k_call_timeout));

// As round_trip, but a status outside 2xx and 304 becomes the error (api_error).
Result<std::string> call(const std::string& socket_path, http::verb method,
                         const std::string& target, const RequestBody& body = {},
                         Limits limits = Limits::within(k_call_timeout));

// The error for a non-success answer: 404 not_found, 409 conflict, else internal, with
// Docker's message ("message" of its JSON body, else the body's text, else the status).
Error api_error(unsigned status, std::string_view body, std::string_view what);

// Reads the rest of an error response from `connection` and turns it into an error.
Error api_error_from(Connection& connection, unsigned status);

// Reads the response header of a streamed answer: success on 200, else the API error it
// carries.
Result<void> expect_ok(Connection& connection);

// Docker's JSON answer; internal error when it is not JSON.
Result<rapidjson::Document> parse_docker_json(std::string_view text, std::string_view what);

// The "Id" of each object of a JSON array answer (GET /networks, GET /containers/json).
Result<std::vector<std::string>> ids_in_list(std::string_view body, std::string_view what);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view text);
// As url_encode, but keeps '/', ':' and '@' (for image references and paths in the path).
std::string url_encode_path(std::string_view text);

// filters={"label":["key=value"]}, encoded for a query string.
std::string label_filter_query(std::string_view label);

} // namespace cicd::docker::detail

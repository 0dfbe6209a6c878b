#include "http_connection.hpp"

#include "cicd/model/json.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <memory>

namespace cicd::docker::detail {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::string_view k_api_prefix = "/v1.41";
constexpr std::size_t k_max_error_body = 64 * 1024;

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

bool is_success(unsigned status) {
  return (status >= 200 && status < 300) || status == 304;
}

std::string url_encode_keeping(std::string_view text, std::string_view keep) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
        keep.find(c) != std::string_view::npos) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += k_hex[byte >> 4];
      encoded += k_hex[byte & 0x0f];
    }
  }
  return encoded;
}

} // namespace

Connection::Connection(std::string socket_path, http::verb method, std::string target,
                       Limits limits)
    : m_socket_path(std::move(socket_path)), m_method(method), m_target(std::move(target)),
      m_limits(limits) {}

Connection::~Connection() {
  error_code ignored;
  m_socket.close(ignored);
}

std::string Connection::what() const {
  return fmt::format("{} {}", std::string_view(http::to_string(m_method)), m_target);
}

template <class Initiate>
error_code Connection::run(Initiate&& initiate) {
  bool done = false;
  error_code result;
  std::forward<Initiate>(initiate)([&done, &result](error_code ec, auto&&...) {
    done = true;
    result = ec;
  });
  std::optional<Clock::duration> budget = m_limits.per_io;
  if (m_limits.deadline) {
    auto left = *m_limits.deadline - Clock::now();
    budget = budget ? std::min(*budget, left) : left;
  }
  m_io.restart();
  bool stopped = false;
  if (m_limits.stop) {
    auto end = budget ? Clock::now() + *budget : Clock::time_point::max();
    while (!done && Clock::now() < end && !(stopped = m_limits.stop())) {
      m_io.run_for(std::min<Clock::duration>(k_stop_poll, end - Clock::now()));
    }
  } else if (!budget) {
    m_io.run();
  } else if (*budget > Clock::duration::zero()) {
    m_io.run_for(*budget);
  }
  if (!done) {
    // Closing cancels the operation; its handler must still run before `result` goes away.
    error_code ignored;
    m_socket.close(ignored);
    m_io.restart();
    m_io.run();
    return stopped ? asio::error::operation_aborted : asio::error::timed_out;
  }
  return result;
}

Error Connection::io_error(const error_code& ec, std::string_view during) const {
  if (ec == asio::error::operation_aborted) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("Docker: {} stopped by the caller (while {})", what(), during));
  }
  if (ec == asio::error::timed_out) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("Docker: no answer to {} from {} within its time limit (while "
                                  "{})",
                                  what(), m_socket_path, during));
  }
  // A cut-off message means the engine went away (unavailable); other HTTP errors mean it
  // answered something this client cannot read (internal).
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return make_error(ErrorCode::internal,
                      fmt::format("Docker: malformed HTTP answer to {}: {}", what(), ec.message()));
  }
  return make_error(ErrorCode::unavailable,
                    fmt::format("Docker: connection to {} failed while {} "
                                "for {}: {}",
                                m_socket_path, during, what(), ec.message()));
}

Result<void> Connection::connect() {
  auto ec = run([this](auto handler) {
    m_socket.async_connect(asio::local::stream_protocol::endpoint(m_socket_path), handler);
  });
  if (ec == asio::error::timed_out) {
    return io_error(ec, "connecting");
  }
  if (ec) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("Docker: cannot connect to the engine at {}: {}; is dockerd "
                                  "running? (DOCKER_HOST=unix:///path selects another socket)",
                                  m_socket_path, ec.message()));
  }
  return {};
}

Result<void> Connection::send(const RequestBody& body) {
  if (auto connected = connect(); !connected) {
    return connected.error();
  }
  http::request<http::empty_body> request{m_method, std::string(k_api_prefix) + m_target, 11};
  request.set(http::field::host, "docker");
  request.set(http::field::user_agent, "cicd");
  if (!body.bytes.empty() || m_method == http::verb::post || m_method == http::verb::put) {
    request.content_length(body.bytes.size());
  }
  if (!body.content_type.empty()) {
    request.set(http::field::content_type, body.content_type);
  }
  http::request_serializer<http::empty_body> serializer{request};
  auto ec = run([&](auto handler) { http::async_write_header(m_socket, serializer, handler); });
  if (ec) {
    return io_error(ec, "sending the request");
  }
  if (!body.bytes.empty()) {
    // A failure here is not reported yet: the engine may have answered early and closed
    // (an unknown container), and that answer says more. read_header reports it otherwise.
    m_write_error = run([&](auto handler) {
      asio::async_write(m_socket, asio::buffer(body.bytes.data(), body.bytes.size()), handler);
    });
  }
  return {};
}

Result<void> Connection::send_chunked(std::string_view content_type, const ChunkSource& source) {
  if (auto connected = connect(); !connected) {
    return connected.error();
  }
  http::request<http::empty_body> request{m_method, std::string(k_api_prefix) + m_target, 11};
  request.set(http::field::host, "docker");
  request.set(http::field::user_agent, "cicd");
  request.set(http::field::content_type, content_type);
  request.chunked(true);
  http::request_serializer<http::empty_body> serializer{request};
  auto ec = run([&](auto handler) { http::async_write_header(m_socket, serializer, handler); });
  if (ec) {
    return io_error(ec, "sending the request");
  }
  auto buffer = std::make_unique<std::array<char, k_body_buffer_size>>();
  for (;;) {
    auto produced = source(buffer->data(), buffer->size());
    if (!produced) {
      return produced.error();
    }
    if (*produced == 0) {
      break;
    }
    auto chunk = http::make_chunk(asio::buffer(buffer->data(), *produced));
    ec = run([&](auto handler) { asio::async_write(m_socket, chunk, handler); });
    if (ec) {
      m_write_error = ec; // as in send: the engine's early answer, if any, says more
      return {};
    }
  }
  ec = run([&](auto handler) { asio::async_write(m_socket, http::make_chunk_last(), handler); });
  if (ec) {
    m_write_error = ec;
  }
  return {};
}

Result<unsigned> Connection::read_header() {
  m_parser.emplace();
  m_parser->body_limit(boost::none); // bodies are streamed, never held whole here
  auto ec =
      run([&](auto handler) { http::async_read_header(m_socket, m_buffer, *m_parser, handler); });
  if (ec) {
    return io_error(m_write_error ? m_write_error : ec,
                    m_write_error ? "sending the request body" : "reading the response");
  }
  return m_parser->get().result_int();
}

Result<void> Connection::read_body(const ChunkSink& sink) {
  BOOST_ASSERT(m_parser.has_value());
  auto buffer = std::make_unique<std::array<char, k_body_buffer_size>>();
  while (!m_parser->is_done()) {
    auto& body = m_parser->get().body();
    body.data = buffer->data();
    body.size = buffer->size();
    // read_some, not read: a live log must reach the sink as it comes, not per full buffer.
    auto ec =
        run([&](auto handler) { http::async_read_some(m_socket, m_buffer, *m_parser, handler); });
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      return io_error(ec, "reading the response body");
    }
    std::size_t filled = buffer->size() - body.size;
    if (filled > 0 && !sink(std::string_view(buffer->data(), filled))) {
      error_code ignored;
      m_socket.close(ignored);
      return {};
    }
  }
  return {};
}

Result<std::string> Connection::read_body_text(std::size_t limit) {
  std::string text;
  bool too_large = false;
  auto read = read_body([&](std::string_view chunk) {
    if (text.size() + chunk.size() > limit) {
      too_large = true;
      return false;
    }
    text.append(chunk);
    return true;
  });
  if (!read) {
    return read.error();
  }
  if (too_large) {
    return make_error(
        ErrorCode::internal,
        fmt::format("Docker: the answer to {} is larger than {} bytes", what(), limit));
  }
  return text;
}

Result<Response> round_trip(const std::string& socket_path, http::verb method,
                            const std::string& target, const RequestBody& body, Limits limits) {
  Connection connection(socket_path, method, target, limits);
  if (auto sent = connection.send(body); !sent) {
    return sent.error();
  }
  auto status = connection.read_header();
  if (!status) {
    return status.error();
  }
  auto text =
      connection.read_body_text(is_success(*status) ? k_max_json_response : k_max_error_body);
  if (!text) {
    return text.error();
  }
  return Response{*status, std::move(*text)};
}

Result<std::string> call(const std::string& socket_path, http::verb method,
                         const std::string& target, const RequestBody& body, Limits limits) {
  auto response = round_trip(socket_path, method, target, body, limits);
  if (!response) {
    return response.error();
  }
  if (!is_success(response->status)) {
    return api_error(response->status, response->body,
                     fmt::format("{} {}", std::string_view(http::to_string(method)), target));
  }
  return std::move(response->body);
}

Error api_error(unsigned status, std::string_view body, std::string_view what) {
  std::string message;
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (!document.HasParseError() && document.IsObject() && document.HasMember("message") &&
      document["message"].IsString()) {
    message = document["message"].GetString();
  } else {
    message = trimmed(body);
  }
  if (message.empty()) {
    message = fmt::format(
        "HTTP {} {} for {}", status,
        std::string_view(http::obsolete_reason(static_cast<http::status>(status))), what);
  }
  auto code = status == 404   ? ErrorCode::not_found
              : status == 409 ? ErrorCode::conflict
                              : ErrorCode::internal;
  return make_error(code, "Docker: " + message);
}

Error api_error_from(Connection& connection, unsigned status) {
  auto body = connection.read_body_text(k_max_error_body);
  return api_error(status, body ? *body : std::string_view(), connection.what());
}

Result<rapidjson::Document> parse_docker_json(std::string_view text, std::string_view what) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  if (document.HasParseError()) {
    return make_error(ErrorCode::internal,
                      fmt::format("Docker: the answer to {} is not JSON: {:.200}", what, text));
  }
  return document;
}

Result<std::vector<std::string>> ids_in_list(std::string_view body, std::string_view what) {
  auto document = parse_docker_json(body, what);
  if (!document) {
    return document.error();
  }
  if (!document->IsArray()) {
    return make_error(ErrorCode::internal,
                      fmt::format("Docker: the answer to {} is not a JSON array", what));
  }
  std::vector<std::string> ids;
  for (const auto& item : document->GetArray()) {
    if (item.IsObject() && item.HasMember("Id") && item["Id"].IsString()) {
      ids.emplace_back(item["Id"].GetString(), item["Id"].GetStringLength());
    }
  }
  return ids;
}

std::string url_encode(std::string_view text) {
  return url_encode_keeping(text, "");
}

std::string url_encode_path(std::string_view text) {
  return url_encode_keeping(text, "/:@");
}

std::string label_filter_query(std::string_view label) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  model::write_key(writer, "label");
  writer.StartArray();
  model::write_string(writer, label);
  writer.EndArray();
  writer.EndObject();
  return "filters=" + url_encode(std::string_view(buffer.GetString(), buffer.GetSize()));
}

Result<void> expect_ok(Connection& connection) {
  auto status = connection.read_header();
  if (!status) {
    return status.error();
  }
  if (*status != 200) {
    return api_error_from(connection, *status);
  }
  return {};
}

} // namespace cicd::docker::detail

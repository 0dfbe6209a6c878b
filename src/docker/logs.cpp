#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

namespace cicd::docker {
namespace http = detail::http;

namespace {

// Reads a multiplexed output body to its end. Docker sends one frame per line: the payloads
// of one read go to the sink together (one call per run of the same stream), which keeps the
// per-call cost off every line.
Result<void> read_output(detail::Connection& connection, const OutputSink& sink) {
  // A job may be silent for hours; the caller ends a run by killing its container.
  connection.set_limits(detail::Limits::none());
  StreamDemuxer demuxer;
  bool stopped = false;
  std::string batch;
  OutputStream batch_stream = OutputStream::stdout_stream;
  auto emit = [&] {
    if (!batch.empty() && !stopped && !sink(batch_stream, batch)) {
      stopped = true;
    }
    batch.clear();
  };
  return connection.read_body([&](std::string_view chunk) {
    demuxer.feed(chunk, [&](OutputStream stream, std::string_view payload) {
      if (stream != batch_stream) {
        emit();
        batch_stream = stream;
      }
      batch.append(payload);
    });
    emit();
    return !stopped;
  });
}

Result<void> read_logs(const std::string& socket_path, const std::string& id,
                       const std::string& query, const OutputSink& sink) {
  detail::Connection connection(socket_path, http::verb::get,
                                "/containers/" + detail::url_encode(id) + "/logs?" + query,
                                detail::Limits::within(k_call_timeout));
  if (auto sent = connection.send(); !sent) {
    return sent.error();
  }
  if (auto ok = detail::expect_ok(connection); !ok) {
    return ok.error();
  }
  return read_output(connection, sink);
}

} // namespace

Result<void> Client::follow_logs(const std::string& id, const OutputSink& sink) {
  // The logs endpoint rather than attach: it also returns what was written before this call,
  // so output of a container that exits at once is not lost.
  return read_logs(m_socket_path, id, "follow=1&stdout=1&stderr=1", sink);
}

Result<void> Client::tail_logs(const std::string& id, int lines, const OutputSink& sink) {
  return read_logs(m_socket_path, id, "stdout=1&stderr=1&tail=" + std::to_string(lines), sink);
}

Result<Attachment> Client::attach_output(const std::string& id) {
  // Without an Upgrade header Docker answers 200 and then sends the raw stream until the
  // container's output ends, and closes the connection.
  auto connection = std::make_unique<detail::Connection>(m_socket_path, http::verb::post,
                                                         "/containers/" + detail::url_encode(id) +
                                                             "/attach?stream=1&stdout=1&stderr=1",
                                                         detail::Limits::within(k_call_timeout));
  if (auto sent = connection->send(); !sent) {
    return sent.error();
  }
  if (auto ok = detail::expect_ok(*connection); !ok) {
    return ok.error();
  }
  return Attachment(std::move(connection));
}

Attachment::Attachment(std::unique_ptr<detail::Connection> connection)
    : m_connection(std::move(connection)) {}
Attachment::Attachment(Attachment&&) noexcept = default;
Attachment& Attachment::operator=(Attachment&&) noexcept = default;
Attachment::~Attachment() = default;

Result<void> Attachment::read(const OutputSink& sink) {
  return read_output(*m_connection, sink);
}

} // namespace cicd::docker

#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

namespace cicd::docker {
namespace http = detail::http;

namespace {

Result<void> read_logs(const std::string& socket_path, const std::string& id,
                       const std::string& query,
                       const std::function<bool(OutputStream, std::string_view)>& sink) {
  detail::Connection connection(socket_path, http::verb::get,
                                "/containers/" + detail::url_encode(id) + "/logs?" + query,
                                detail::Limits::within(k_call_timeout));
  if (auto sent = connection.send(); !sent) {
    return sent.error();
  }
  if (auto ok = detail::expect_ok(connection); !ok) {
    return ok.error();
  }
  // A job may be silent for hours; the caller ends a run by killing its container.
  connection.set_limits(detail::Limits::none());
  StreamDemuxer demuxer;
  bool stopped = false;
  return connection.read_body([&](std::string_view chunk) {
    demuxer.feed(chunk, [&](OutputStream stream, std::string_view payload) {
      if (!stopped && !sink(stream, payload)) {
        stopped = true;
      }
    });
    return !stopped;
  });
}

} // namespace

Result<void> Client::follow_logs(const std::string& id,
                                 const std::function<bool(OutputStream, std::string_view)>& sink) {
  // The logs endpoint rather than attach: it also returns what was written before this call,
  // so output of a container that exits at once is not lost.
  return read_logs(m_socket_path, id, "follow=1&stdout=1&stderr=1", sink);
}

Result<void> Client::tail_logs(const std::string& id, int lines,
                               const std::function<bool(OutputStream, std::string_view)>& sink) {
  return read_logs(m_socket_path, id, "stdout=1&stderr=1&tail=" + std::to_string(lines), sink);
}

} // namespace cicd::docker

#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

#include <algorithm>

namespace cicd::docker {
namespace http = detail::http;

namespace {

std::string archive_target(const std::string& id, const std::string& path) {
  return "/containers/" + detail::url_encode(id) + "/archive?path=" + detail::url_encode(path);
}

} // namespace

// Archives may be large: each read and write has a deadline, the whole transfer none.
Result<void> Client::put_archive(const std::string& id, const std::string& dir,
                                 std::string_view tar) {
  return put_archive(id, dir, [tar](char* buffer, std::size_t size) mutable -> Result<std::size_t> {
    auto n = std::min(size, tar.size());
    std::copy_n(tar.data(), n, buffer);
    tar.remove_prefix(n);
    return n;
  });
}

Result<void> Client::put_archive(const std::string& id, const std::string& dir,
                                 const ChunkSource& source, bool to_container_user) {
  detail::Connection connection(m_socket_path, http::verb::put,
                                archive_target(id, dir) +
                                    (to_container_user ? "&copyUIDGID=1" : ""),
                                detail::Limits::each_io_within(k_call_timeout));
  if (auto sent = connection.send_chunked("application/x-tar", source); !sent) {
    return sent.error();
  }
  if (auto ok = detail::expect_ok(connection); !ok) {
    return ok.error();
  }
  return connection.read_body([](std::string_view) { return true; });
}

Result<void> Client::get_archive(const std::string& id, const std::string& path,
                                 const ChunkSink& sink) {
  detail::Connection connection(m_socket_path, http::verb::get, archive_target(id, path),
                                detail::Limits::each_io_within(k_call_timeout));
  if (auto sent = connection.send(); !sent) {
    return sent.error();
  }
  if (auto ok = detail::expect_ok(connection); !ok) {
    return ok.error();
  }
  return connection.read_body(sink);
}

} // namespace cicd::docker

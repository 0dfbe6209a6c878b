#include "cicd/docker/client.hpp"

#include "http_connection.hpp"
#include "progress_stream.hpp"

#include "cicd/model/json.hpp"

#include <fmt/format.h>

#include <utility>

namespace cicd::docker {
namespace http = detail::http;

namespace {

// "registry:5000/team/app:1.2" → {"registry:5000/team/app", "1.2"}; the tag is empty when
// the reference has none (a ':' before the last '/' is a registry port, not a tag).
std::pair<std::string, std::string> split_tag(const std::string& reference) {
  auto colon = reference.rfind(':');
  auto slash = reference.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {reference, ""};
  }
  return {reference.substr(0, colon), reference.substr(colon + 1)};
}

std::string json_object_query(const std::map<std::string, std::string>& values) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  for (const auto& [key, value] : values) {
    model::write_key(writer, key);
    model::write_string(writer, value);
  }
  writer.EndObject();
  return detail::url_encode(std::string_view(buffer.GetString(), buffer.GetSize()));
}

} // namespace

Result<bool> Client::image_exists(const std::string& image) {
  auto response = detail::round_trip(m_socket_path, http::verb::get,
                                     "/images/" + detail::url_encode_path(image) + "/json");
  if (!response) {
    return response.error();
  }
  if (response->status == 200) {
    return true;
  }
  if (response->status == 404) {
    return false;
  }
  return detail::api_error(response->status, response->body, "GET /images/" + image + "/json");
}

Result<void> Client::pull_image(const std::string& image, std::chrono::seconds timeout,
                                const std::function<bool()>& stop) {
  auto tag = split_tag(image).second;
  std::string target = "/images/create?fromImage=" + detail::url_encode(image);
  if (tag.empty() && image.find('@') == std::string::npos) {
    target += "&tag=latest"; // without a tag, Docker would pull every tag of the repository
  }
  auto limits = detail::Limits::within(timeout);
  limits.stop = stop;
  detail::Connection connection(m_socket_path, http::verb::post, target, limits);
  if (auto sent = connection.send(); !sent) {
    return sent.error();
  }
  if (auto checked = detail::expect_ok(connection); !checked) {
    return checked.error();
  }
  return detail::read_progress_stream(connection, ErrorCode::internal,
                                      fmt::format("pulling {} failed: ", image), {});
}

Result<void> Client::import_image(const std::string& repo_tag, std::string_view rootfs_tar) {
  auto [repository, tag] = split_tag(repo_tag);
  std::string target = "/images/create?fromSrc=-&repo=" + detail::url_encode(repository);
  if (!tag.empty()) {
    target += "&tag=" + detail::url_encode(tag);
  }
  detail::Connection connection(m_socket_path, http::verb::post, target,
                                detail::Limits::each_io_within(k_call_timeout));
  if (auto sent = connection.send({rootfs_tar, "application/x-tar"}); !sent) {
    return sent.error();
  }
  if (auto checked = detail::expect_ok(connection); !checked) {
    return checked.error();
  }
  return detail::read_progress_stream(connection, ErrorCode::internal,
                                      fmt::format("importing {} failed: ", repo_tag), {});
}

Result<void> Client::build_image(const BuildSpec& spec, const ChunkSource& context,
                                 const std::function<void(std::string_view line)>& log,
                                 std::chrono::seconds timeout, const std::function<bool()>& stop) {
  // rm and forcerm: no intermediate containers stay behind, even after a failed step.
  std::string target = "/build?rm=1&forcerm=1&dockerfile=" + detail::url_encode(spec.dockerfile);
  if (!spec.tag.empty()) {
    target += "&t=" + detail::url_encode(spec.tag);
  }
  if (!spec.target.empty()) {
    target += "&target=" + detail::url_encode(spec.target);
  }
  if (!spec.build_args.empty()) {
    target += "&buildargs=" + json_object_query(spec.build_args);
  }
  if (!spec.labels.empty()) {
    target += "&labels=" + json_object_query(spec.labels);
  }
  auto limits = detail::Limits::within(timeout);
  limits.stop = stop;
  detail::Connection connection(m_socket_path, http::verb::post, target, limits);
  if (auto sent = connection.send_chunked("application/x-tar", context); !sent) {
    return sent.error();
  }
  if (auto checked = detail::expect_ok(connection); !checked) {
    return checked.error();
  }
  // The image's own build failing is the job's fault, not Docker's: unprocessable.
  return detail::read_progress_stream(connection, ErrorCode::unprocessable,
                                      "the image build failed: ", log);
}

Result<void> Client::tag_image(const std::string& image, const std::string& repo_tag) {
  auto [repository, tag] = split_tag(repo_tag);
  auto target = "/images/" + detail::url_encode_path(image) +
                "/tag?repo=" + detail::url_encode(repository) +
                (tag.empty() ? "" : "&tag=" + detail::url_encode(tag));
  auto tagged = detail::call(m_socket_path, http::verb::post, target);
  if (!tagged) {
    return tagged.error();
  }
  return {};
}

Result<void> Client::push_image(const std::string& repo_tag, std::chrono::seconds timeout,
                                const std::function<bool()>& stop) {
  auto [repository, tag] = split_tag(repo_tag);
  auto target = "/images/" + detail::url_encode_path(repository) + "/push" +
                (tag.empty() ? "" : "?tag=" + detail::url_encode(tag));
  auto limits = detail::Limits::within(timeout);
  limits.stop = stop;
  detail::Connection connection(m_socket_path, http::verb::post, target, limits);
  // No X-Registry-Auth header: the engine then reads the (empty) credentials from the body.
  if (auto sent = connection.send({"{}", "application/json"}); !sent) {
    return sent.error();
  }
  if (auto checked = detail::expect_ok(connection); !checked) {
    return checked.error();
  }
  return detail::read_progress_stream(connection, ErrorCode::internal,
                                      fmt::format("pushing {} failed: ", repo_tag), {});
}

Result<void> Client::remove_image(const std::string& image) {
  auto removed =
      detail::call(m_socket_path, http::verb::delete_, "/images/" + detail::url_encode_path(image));
  if (!removed) {
    return removed.error();
  }
  return {};
}

} // namespace cicd::docker

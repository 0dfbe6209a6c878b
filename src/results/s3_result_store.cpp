#include "backends.hpp"
#include "s3_http.hpp"
#include "s3_upload.hpp"
#include "s3_xml.hpp"

#include <fmt/format.h>

namespace cicd::results {

namespace {

constexpr std::chrono::seconds k_longest_presigned{7 * 24 * 3600}; // S3's limit

// Objects under <prefix>runs/<id>/… in one bucket of any S3 API server.
// Thread safety: every call may run concurrently with any other; S3Http gives each its own
// connection.
class S3ResultStore final : public ResultStore {
public:
  S3ResultStore(S3Location location, S3Credentials credentials, S3Tuning tuning)
      : m_http(std::move(location), std::move(credentials), tuning) {}

  Result<std::int64_t> put_file(std::int64_t run_id, std::string_view name,
                                const std::filesystem::path& source,
                                std::string_view content_type) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    return s3_put_file(m_http, key_of(run_id, name), source, content_type);
  }

  Result<void> read(std::int64_t run_id, std::string_view name, std::int64_t offset,
                    const std::function<bool(std::string_view)>& sink) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    if (offset < 0) {
      return make_error(ErrorCode::invalid_input, "a read cannot start before byte 0", "offset");
    }
    auto key = key_of(run_id, name);
    S3Request request;
    request.method = "GET";
    request.path = s3_key_path(m_http.location(), key);
    request.sink = sink;
    request.range_from = offset;
    request.what = "the download of " + key;
    auto response = m_http.perform(request);
    if (!response) {
      return response.error();
    }
    switch (response->status) {
    case 200:
    case 206:
    case 416: // the offset is at or past the end: nothing more to read
      return {};
    case 404:
      if (response->body.find("NoSuchBucket") != std::string::npos) {
        return m_http.refusal(*response, request.what);
      }
      return missing(run_id, name);
    case 412:
      return make_error(ErrorCode::unavailable,
                        fmt::format("{} was replaced while it was being read; read it again", key));
    default:
      return response->stopped_by_sink ? Result<void>() : m_http.refusal(*response, request.what);
    }
  }

  Result<std::int64_t> size(std::int64_t run_id, std::string_view name) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    auto key = key_of(run_id, name);
    S3Request request;
    request.method = "HEAD";
    request.path = s3_key_path(m_http.location(), key);
    request.what = "the size of " + key;
    auto response = m_http.perform(request);
    if (!response) {
      return response.error();
    }
    // A HEAD answer has no body: a missing bucket looks like a missing object here, and says
    // so at the first put or read.
    if (response->status == 404) {
      return missing(run_id, name);
    }
    if (response->status != 200) {
      return m_http.refusal(*response, request.what);
    }
    try {
      return std::stoll(response->header("content-length"));
    } catch (const std::exception&) {
      return make_error(ErrorCode::unavailable,
                        fmt::format("S3 answered {} without a Content-Length", request.what));
    }
  }

  Result<void> remove_run(std::int64_t run_id) override {
    auto prefix = m_http.location().prefix + fmt::format("runs/{}/", run_id);
    std::string token;
    do {
      auto page = list_page(prefix, token);
      if (!page) {
        return page.error();
      }
      for (const auto& key : page->texts["Key"]) {
        if (auto removed = remove_object(key); !removed) {
          return removed.error();
        }
      }
      token = page->first("IsTruncated") == "true" ? page->first("NextContinuationToken") : "";
    } while (!token.empty());
    return {};
  }

  Result<std::string> presigned_url(std::int64_t run_id, std::string_view name,
                                    std::chrono::seconds lifetime) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    if (lifetime.count() < 1 || lifetime > k_longest_presigned) {
      return make_error(ErrorCode::invalid_input,
                        "a presigned URL lives between 1 second and 7 days", "lifetime");
    }
    const auto& location = m_http.location();
    auto path = s3_key_path(location, key_of(run_id, name));
    auto query = sigv4::presigned_query("GET", s3_host_header(location), path,
                                        sigv4::amz_date(std::chrono::system_clock::now()), lifetime,
                                        location.region, m_http.credentials());
    return s3_origin(location) + path + "?" + query;
  }

private:
  std::string key_of(std::int64_t run_id, std::string_view name) const {
    return m_http.location().prefix + object_key(run_id, name);
  }

  static Error missing(std::int64_t run_id, std::string_view name) {
    return make_error(ErrorCode::not_found,
                      fmt::format("run {} has no stored result named '{}'", run_id, name));
  }

  // One page of ListObjectsV2 under `prefix`, after `token` when not empty.
  Result<S3Xml> list_page(const std::string& prefix, const std::string& token) {
    S3Request request;
    request.method = "GET";
    request.path = s3_bucket_path(m_http.location());
    request.query = {{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) {
      request.query.emplace_back("continuation-token", token);
    }
    request.what = "the listing of " + prefix;
    auto response = m_http.perform(request);
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return m_http.refusal(*response, request.what);
    }
    auto page = parse_s3_xml(response->body, {"Key", "IsTruncated", "NextContinuationToken"});
    if (!page.well_formed) {
      return make_error(ErrorCode::unavailable,
                        fmt::format("S3 answered {} with XML that does not parse", request.what));
    }
    return page;
  }

  Result<void> remove_object(const std::string& key) {
    S3Request request;
    request.method = "DELETE";
    request.path = s3_key_path(m_http.location(), key);
    request.what = "the deletion of " + key;
    auto response = m_http.perform(request);
    if (!response) {
      return response.error();
    }
    if (response->status != 204 && response->status != 200 && response->status != 404) {
      return m_http.refusal(*response, request.what);
    }
    return {};
  }

  S3Http m_http;
};

} // namespace

std::unique_ptr<ResultStore> make_s3_result_store(S3Location location, S3Credentials credentials,
                                                  S3Tuning tuning) {
  return std::make_unique<S3ResultStore>(std::move(location), std::move(credentials), tuning);
}

std::unique_ptr<ResultStore> make_s3_result_store(std::string_view url) {
  auto location = parse_s3_url(url);
  return make_s3_result_store(std::move(location), s3_credentials_from_environment(), S3Tuning{});
}

} // namespace cicd::results

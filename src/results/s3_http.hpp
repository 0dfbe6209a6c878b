#pragma once
// One S3 request over libcurl, signed by libcurl (CURLOPT_AWS_SIGV4) with the payload hash we
// give it, retried on transient failures with bounded back-off, and S3's refusals turned into
// errors that say what to do. libcurl stays behind this wall: no curl type in this header.

#include "cicd/core/error.hpp"
#include "s3_config.hpp"
#include "s3_sigv4.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::results {

struct S3Request {
  std::string method; // GET, HEAD, PUT, POST or DELETE
  std::string path;   // encoded: s3_key_path() or s3_bucket_path()
  sigv4::QueryParams query;
  std::vector<std::pair<std::string, std::string>> headers; // e.g. Content-Type
  // The body, streamed from a file range, or held in `body_text`; none for GET, HEAD, DELETE.
  std::filesystem::path body_file;
  std::int64_t body_offset = 0;
  std::int64_t body_size = 0;
  std::string body_text;
  std::string payload_sha256; // of the body; "" for none (the empty hash is sent)
  // GET: the object's bytes go to the sink as they arrive, from byte `range_from` (Range
  // header when > 0); a retry after a cut resumes where the sink stopped getting bytes.
  // Without a sink, the answer's body is kept in S3Response::body (at most 1 MiB).
  std::function<bool(std::string_view)> sink;
  std::int64_t range_from = 0;
  std::string what; // for messages: "the upload of runs/5/console.log"
};

struct S3Response {
  long status = 0;
  std::string body;                           // without a sink, or an error's body
  std::map<std::string, std::string> headers; // names in lower case
  std::int64_t delivered = 0;                 // bytes given to the sink
  bool stopped_by_sink = false;
  int attempts = 0;
  std::string header(const std::string& lower_case_name) const;
};

// Thread safety: perform() may run on any number of threads at once; each call takes a curl
// easy handle of its own from a small pool (which keeps connections alive between calls).
class S3Http {
public:
  S3Http(S3Location location, S3Credentials credentials, S3Tuning tuning);
  S3Http(const S3Http&) = delete;
  S3Http& operator=(const S3Http&) = delete;
  ~S3Http();

  // Sends the request, retrying transient failures (no connection, reset, timeout, 5xx, 429,
  // RequestTimeout) within the tuning's bounds. Any HTTP answer comes back as a value, the
  // last one when retries ran out; unavailable when no answer came at all.
  Result<S3Response> perform(const S3Request& request);

  // The error for an answer S3 refused (status ≥ 300): S3's error code, what it means here and
  // what to do. Always ErrorCode::unavailable: the store is unusable as configured or for now.
  Error refusal(const S3Response& response, std::string_view what) const;

  const S3Location& location() const { return m_location; }
  const S3Credentials& credentials() const { return m_credentials; }
  const S3Tuning& tuning() const { return m_tuning; }

private:
  struct Pool;

  S3Location m_location;
  S3Credentials m_credentials;
  S3Tuning m_tuning;
  std::string m_origin;
  std::unique_ptr<Pool> m_pool;
};

} // namespace cicd::results

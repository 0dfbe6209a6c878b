#pragma once
// What the S3 backend is told at start: where (from the --results URL), who (from the
// environment only) and how patiently (timeouts and retries).
//
//   s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&addressing=path|virtual
//                     &ca-file=/path/ca.pem
//
// endpoint: default https://s3.<region>.amazonaws.com; region: default us-east-1; addressing:
// default path when an endpoint is given (MinIO and most other servers), else virtual (AWS).
// The prefix is percent-decoded (write a space as %20 or as a space) and gets a trailing '/'.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cicd::results {

enum class S3Addressing { path, virtual_host };

struct S3Location {
  std::string bucket;
  std::string prefix;     // "" or ending in '/'; decoded (UTF-8)
  std::string scheme;     // "http" or "https"
  std::string host;       // the endpoint's host, without port ("127.0.0.1", "s3.eu-west-1…")
  std::uint16_t port = 0; // 0: the scheme's default
  std::string region;
  S3Addressing addressing = S3Addressing::virtual_host;
  std::string ca_file; // "" : the system's CA certificates
};

// Throws Fatal for a URL that is not s3://bucket[/prefix][?options] or has credentials in it.
S3Location parse_s3_url(std::string_view url);

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // "" unless temporary credentials
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (optional). Throws Fatal naming
// what is missing.
S3Credentials s3_credentials_from_environment();

// Timeouts and retries. A transient failure (no connection, reset, timeout, 5xx, 429/SlowDown)
// is retried up to `attempts` times in all, waiting first_backoff, then three times as long each
// time, but never starting an attempt once `retry_budget` has passed since the first.
struct S3Tuning {
  int attempts = 4;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds retry_budget{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is cut (a stalled
  // server cannot hang a run).
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  // Objects larger than this go up in parts of this size (S3 needs at least 5 MiB a part and
  // at most 10,000 parts: 16 MiB parts hold 156 GiB).
  std::int64_t part_size = 16 * 1024 * 1024;
};

// The Host header's value: "127.0.0.1:9000" (path), "b.s3.us-east-1.amazonaws.com" (virtual);
// the port only when it is not the scheme's default.
std::string s3_host_header(const S3Location& location);
// The path of a key, each segment percent-encoded as SigV4 requires: "/b/a%20b/%C3%A9" (path)
// or "/a%20b/%C3%A9" (virtual).
std::string s3_key_path(const S3Location& location, std::string_view key);
// The bucket's own path: "/b" (path) or "/" (virtual).
std::string s3_bucket_path(const S3Location& location);
// "http://127.0.0.1:9000", "https://b.s3.us-east-1.amazonaws.com": what a path is appended to.
std::string s3_origin(const S3Location& location);

} // namespace cicd::results

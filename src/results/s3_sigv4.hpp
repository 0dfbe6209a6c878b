#pragma once
// AWS Signature Version 4 for S3, the parts libcurl does not do: the canonical forms it expects
// its caller to send (libcurl 7.88 signs the path and query exactly as given, without encoding
// or sorting them), and presigned URLs (query-string signing), which libcurl has no API for.
// The header form is here too, so that tests can check the signer against AWS's published
// examples. Pure functions; thread-safe.

#include "s3_config.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::results::sigv4 {

// SHA-256 of nothing: the payload hash of a GET, HEAD or DELETE.
inline constexpr std::string_view k_empty_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// S3's UriEncode(): every byte but A-Za-z0-9 - . _ ~ as %XX in upper case; '/' kept when
// `keep_slash` (object key paths). UTF-8 stays UTF-8, byte by byte.
std::string uri_encode(std::string_view text, bool keep_slash);

// Decoded name/value pairs; an empty value is a bare name ("uploads").
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The pairs encoded, sorted by name then value and joined with '&' ("uploads=" for a bare
// name): the canonical query string, and also what the S3 backend puts in its URLs.
std::string canonical_query(QueryParams params);

// "20130524T000000Z".
std::string amz_date(std::chrono::system_clock::time_point time);

struct CanonicalRequest {
  std::string method;
  std::string path; // encoded (s3_key_path)
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> headers; // any case; values trimmed here
  std::string payload_hash;
};

// The hex signature of `request` made at `date` ("20130524T000000Z") in `region` for s3.
std::string signature(const CanonicalRequest& request, std::string_view date,
                      std::string_view region, std::string_view secret_access_key);

// The Authorization header's value for `request`, whose headers must include x-amz-date.
std::string authorization_header(const CanonicalRequest& request, std::string_view date,
                                 std::string_view region, const S3Credentials& credentials);

// The query string (canonical, X-Amz-Signature last) that makes `method` on `path` at `host`
// work without credentials for `lifetime` from `date`; signs only the host header, payload
// UNSIGNED-PAYLOAD, as S3 wants for presigned URLs.
std::string presigned_query(std::string_view method, std::string_view host, std::string_view path,
                            std::string_view date, std::chrono::seconds lifetime,
                            std::string_view region, const S3Credentials& credentials);

} // namespace cicd::results::sigv4

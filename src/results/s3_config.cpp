#include "s3_config.hpp"

#include "cicd/core/error.hpp"
#include "cicd/crypto/random.hpp"
#include "s3_sigv4.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <vector>

namespace cicd::results {

namespace {

constexpr std::string_view k_scheme = "s3://";
constexpr std::string_view k_example =
    "s3://bucket/prefix?endpoint=https://minio.example:9000&region=us-east-1";

[[noreturn]] void fail(const std::string& what) {
  throw Fatal(fmt::format("--results: {} (expected {})", what, k_example));
}

std::string percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    bool complete = i + 2 < text.size();
    int high = complete ? crypto::hex_digit_value(text[i + 1]) : -1;
    int low = complete ? crypto::hex_digit_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      fail(fmt::format("the {} has a '%' that is not followed by two hex digits (write a "
                       "literal '%' as %25)",
                       what));
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// Bucket names as S3 allows them today: 3 to 63 of [a-z0-9.-], starting and ending with a
// letter or digit. Older buckets may have upper case or '_'; those work with path addressing.
bool is_plain_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return name.front() != '.' && name.front() != '-' && name.back() != '.' && name.back() != '-';
}

void parse_endpoint(std::string_view endpoint, S3Location& location) {
  auto scheme_end = endpoint.find("://");
  if (scheme_end == std::string_view::npos) {
    fail(fmt::format("endpoint '{}' needs a scheme: http://… or https://…", endpoint));
  }
  location.scheme = std::string(endpoint.substr(0, scheme_end));
  if (location.scheme != "http" && location.scheme != "https") {
    fail(fmt::format("endpoint '{}' must be http:// or https://", endpoint));
  }
  auto authority = endpoint.substr(scheme_end + 3);
  while (!authority.empty() && authority.back() == '/') {
    authority.remove_suffix(1);
  }
  if (authority.empty() || authority.find_first_of("/?#@") != std::string_view::npos) {
    fail(fmt::format("endpoint '{}' must be scheme://host[:port] with no path", endpoint));
  }
  std::string_view port;
  if (authority.front() == '[') { // [::1]:9000
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail(fmt::format("endpoint '{}' has an unclosed '['", endpoint));
    }
    location.host = std::string(authority.substr(0, close + 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        fail(fmt::format("endpoint '{}' is malformed", endpoint));
      }
      port = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    location.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      fail(fmt::format("endpoint '{}' has an invalid port", endpoint));
    }
    location.port = static_cast<std::uint16_t>(value);
  }
  if ((location.scheme == "http" && location.port == 80) ||
      (location.scheme == "https" && location.port == 443)) {
    location.port = 0;
  }
}

} // namespace

S3Location parse_s3_url(std::string_view url) {
  if (!url.starts_with(k_scheme)) {
    fail("the URL must start with s3://");
  }
  auto rest = url.substr(k_scheme.size());
  auto query_at = rest.find('?');
  auto query = query_at == std::string_view::npos ? std::string_view() : rest.substr(query_at + 1);
  auto path = rest.substr(0, query_at);
  auto slash = path.find('/');
  auto bucket = path.substr(0, slash);
  if (bucket.find('@') != std::string_view::npos || bucket.find(':') != std::string_view::npos) {
    // Said without echoing the URL: what precedes '@' is probably a secret.
    throw Fatal("--results: credentials in the s3:// URL are not accepted (they would show in the "
                "process list and in logs); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in "
                "cicd's environment instead");
  }
  S3Location location;
  location.bucket = std::string(bucket);
  if (location.bucket.empty()) {
    fail("the URL names no bucket");
  }
  if (slash != std::string_view::npos) {
    location.prefix = percent_decode(path.substr(slash + 1), "prefix");
  }
  while (location.prefix.starts_with('/')) {
    location.prefix.erase(0, 1);
  }
  if (!location.prefix.empty() && !location.prefix.ends_with('/')) {
    location.prefix += '/';
  }

  std::string endpoint;
  std::string addressing;
  location.region = "us-east-1";
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto eq = pair.find('=');
    auto name = pair.substr(0, eq);
    auto value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), name);
    if (name == "endpoint") {
      endpoint = value;
    } else if (name == "region") {
      location.region = value;
    } else if (name == "addressing") {
      addressing = value;
    } else if (name == "ca-file") {
      location.ca_file = value;
    } else {
      fail(fmt::format("unknown option '{}' (known: endpoint, region, addressing, ca-file)", name));
    }
  }
  if (location.region.empty() ||
      location.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
          std::string::npos) {
    fail(fmt::format("region '{}' is not a region name like eu-west-1", location.region));
  }
  if (endpoint.empty()) {
    endpoint = fmt::format("https://s3.{}.amazonaws.com", location.region);
    location.addressing = S3Addressing::virtual_host;
  } else {
    location.addressing = S3Addressing::path;
  }
  parse_endpoint(endpoint, location);
  if (addressing == "path") {
    location.addressing = S3Addressing::path;
  } else if (addressing == "virtual") {
    location.addressing = S3Addressing::virtual_host;
  } else if (!addressing.empty()) {
    fail(fmt::format("addressing must be path or virtual, not '{}'", addressing));
  }
  if (location.addressing == S3Addressing::virtual_host && !is_plain_bucket_name(location.bucket)) {
    fail(fmt::format("bucket '{}' cannot be a host name label; use addressing=path",
                     location.bucket));
  }
  return location;
}

S3Credentials s3_credentials_from_environment() {
  auto read = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  S3Credentials credentials;
  credentials.access_key_id = read("AWS_ACCESS_KEY_ID");
  credentials.secret_access_key = read("AWS_SECRET_ACCESS_KEY");
  credentials.session_token = read("AWS_SESSION_TOKEN");
  std::vector<std::string_view> missing;
  if (credentials.access_key_id.empty()) {
    missing.push_back("AWS_ACCESS_KEY_ID");
  }
  if (credentials.secret_access_key.empty()) {
    missing.push_back("AWS_SECRET_ACCESS_KEY");
  }
  if (!missing.empty()) {
    throw Fatal(fmt::format("--results s3://… needs the S3 credentials in cicd's environment: {} "
                            "{} not set (they are never read from the URL or the command line)",
                            fmt::join(missing, " and "), missing.size() == 1 ? "is" : "are"));
  }
  return credentials;
}

std::string s3_host_header(const S3Location& location) {
  std::string host = location.addressing == S3Addressing::virtual_host
                         ? location.bucket + "." + location.host
                         : location.host;
  if (location.port != 0) {
    host += fmt::format(":{}", location.port);
  }
  return host;
}

std::string s3_origin(const S3Location& location) {
  return location.scheme + "://" + s3_host_header(location);
}

std::string s3_bucket_path(const S3Location& location) {
  if (location.addressing == S3Addressing::virtual_host) {
    return "/";
  }
  return "/" + sigv4::uri_encode(location.bucket, false);
}

std::string s3_key_path(const S3Location& location, std::string_view key) {
  std::string path = location.addressing == S3Addressing::virtual_host
                         ? std::string()
                         : "/" + sigv4::uri_encode(location.bucket, false);
  return path + "/" + sigv4::uri_encode(key, true);
}

} // namespace cicd::results

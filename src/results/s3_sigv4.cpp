#include "s3_sigv4.hpp"

#include "cicd/crypto/digest.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace cicd::results::sigv4 {

namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &size) == nullptr) {
    // Only an OpenSSL without SHA-256 gets here: a broken installation, not an input error.
    throw std::runtime_error("OpenSSL's HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char byte : bytes) {
    auto value = static_cast<unsigned char>(byte);
    out += k_digits[value >> 4];
    out += k_digits[value & 0x0f];
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Leading and trailing blanks removed, inner runs of blanks made one space, as SigV4 wants.
std::string trimmed(std::string_view value) {
  std::string out;
  bool blank = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) {
      out += ' ';
      blank = false;
    }
    out += c;
  }
  return out;
}

std::string scope(std::string_view date, std::string_view region) {
  return fmt::format("{}/{}/s3/aws4_request", date.substr(0, 8), region);
}

// The canonical headers block and the signed header list ("host;x-amz-date").
std::pair<std::string, std::string>
canonical_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  for (const auto& [name, value] : headers) {
    sorted.emplace_back(lower(name), trimmed(value));
  }
  std::sort(sorted.begin(), sorted.end());
  std::string block;
  std::string names;
  for (const auto& [name, value] : sorted) {
    block += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  return {block, names};
}

std::string string_to_sign(const CanonicalRequest& request, std::string_view date,
                           std::string_view region) {
  auto [headers, signed_headers] = canonical_headers(request.headers);
  auto canonical =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, request.path,
                  canonical_query(request.query), headers, signed_headers, request.payload_hash);
  return fmt::format("{}\n{}\n{}\n{}", k_algorithm, date, scope(date, region),
                     crypto::sha256_hex(canonical));
}

} // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == '~';
    if (unreserved || (keep_slash && byte == '/')) {
      out += c;
    } else {
      out += '%';
      out += k_digits[byte >> 4];
      out += k_digits[byte & 0x0f];
    }
  }
  return out;
}

std::string canonical_query(QueryParams params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name, false);
    value = uri_encode(value, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    out += (out.empty() ? "" : "&") + name + "=" + value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

std::string signature(const CanonicalRequest& request, std::string_view date,
                      std::string_view region, std::string_view secret_access_key) {
  auto key = hmac_sha256("AWS4" + std::string(secret_access_key), date.substr(0, 8));
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, "s3");
  key = hmac_sha256(key, "aws4_request");
  return to_hex(hmac_sha256(key, string_to_sign(request, date, region)));
}

std::string authorization_header(const CanonicalRequest& request, std::string_view date,
                                 std::string_view region, const S3Credentials& credentials) {
  auto signed_headers = canonical_headers(request.headers).second;
  return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", k_algorithm,
                     credentials.access_key_id, scope(date, region), signed_headers,
                     signature(request, date, region, credentials.secret_access_key));
}

std::string presigned_query(std::string_view method, std::string_view host, std::string_view path,
                            std::string_view date, std::chrono::seconds lifetime,
                            std::string_view region, const S3Credentials& credentials) {
  CanonicalRequest request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.headers = {{"host", std::string(host)}};
  request.payload_hash = "UNSIGNED-PAYLOAD";
  request.query = {
      {"X-Amz-Algorithm", std::string(k_algorithm)},
      {"X-Amz-Credential", fmt::format("{}/{}", credentials.access_key_id, scope(date, region))},
      {"X-Amz-Date", std::string(date)},
      {"X-Amz-Expires", std::to_string(lifetime.count())},
      {"X-Amz-SignedHeaders", "host"},
  };
  if (!credentials.session_token.empty()) {
    request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  auto query = canonical_query(request.query);
  return query +
         "&X-Amz-Signature=" + signature(request, date, region, credentials.secret_access_key);
}

} // namespace cicd::results::sigv4

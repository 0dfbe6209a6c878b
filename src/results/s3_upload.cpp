#include "s3_upload.hpp"

#include "cicd/core/log.hpp"
#include "cicd/crypto/digest.hpp"
#include "s3_xml.hpp"

#include <fmt/format.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace cicd::results {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_max_parts = 10'000; // S3's limit per multipart upload

// A header value cannot hold a line break: such a type would split the request.
std::string_view or_default(std::string_view content_type) {
  bool usable =
      !content_type.empty() && content_type.find_first_of("\r\n") == std::string_view::npos;
  return usable ? content_type : std::string_view("application/octet-stream");
}

Error cannot_read(const fs::path& file, int error) {
  return make_error(ErrorCode::unavailable,
                    fmt::format("cannot read {}: {}", file.string(), std::strerror(error)));
}

Result<std::int64_t> put_single(S3Http& http, const std::string& key, const fs::path& source,
                                std::int64_t size, std::string_view content_type) {
  auto hash = sha256_of_file_range(source, 0, size);
  if (!hash) {
    return hash.error();
  }
  S3Request request;
  request.method = "PUT";
  request.path = s3_key_path(http.location(), key);
  request.headers = {{"Content-Type", std::string(or_default(content_type))}};
  request.body_file = source;
  request.body_size = size;
  request.payload_sha256 = *hash;
  request.what = "the upload of " + key;
  auto response = http.perform(request);
  if (!response) {
    return response.error();
  }
  if (response->status != 200) {
    return http.refusal(*response, request.what);
  }
  return size;
}

// Tells S3 to drop the parts stored so far. A failure is logged, not returned: the upload's own
// error is what the caller needs; a bucket lifecycle rule (AbortIncompleteMultipartUpload)
// removes what is left.
void abort_upload(S3Http& http, const std::string& key, const std::string& upload_id) {
  S3Request request;
  request.method = "DELETE";
  request.path = s3_key_path(http.location(), key);
  request.query = {{"uploadId", upload_id}};
  request.what = "the abort of the multipart upload of " + key;
  auto response = http.perform(request);
  if (!response) {
    log::warn("S3: {}; its parts stay stored until a lifecycle rule removes them",
              response.error().message);
  } else if (response->status != 204 && response->status != 200 && response->status != 404) {
    log::warn("S3: {}; its parts stay stored until a lifecycle rule removes them",
              http.refusal(*response, request.what).message);
  }
}

Result<std::string> create_upload(S3Http& http, const std::string& key,
                                  std::string_view content_type) {
  S3Request request;
  request.method = "POST";
  request.path = s3_key_path(http.location(), key);
  request.query = {{"uploads", ""}};
  request.headers = {{"Content-Type", std::string(or_default(content_type))}};
  request.what = "the start of the multipart upload of " + key;
  auto response = http.perform(request);
  if (!response) {
    return response.error();
  }
  if (response->status != 200) {
    return http.refusal(*response, request.what);
  }
  auto upload_id = parse_s3_xml(response->body, {"UploadId"}).first("UploadId");
  if (upload_id.empty()) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("S3 answered {} without an UploadId", request.what));
  }
  return upload_id;
}

// The part's ETag, which CompleteMultipartUpload names it by.
Result<std::string> upload_part(S3Http& http, const std::string& key, const std::string& upload_id,
                                const fs::path& source, std::int64_t number, std::int64_t offset,
                                std::int64_t size) {
  auto hash = sha256_of_file_range(source, offset, size);
  if (!hash) {
    return hash.error();
  }
  S3Request request;
  request.method = "PUT";
  request.path = s3_key_path(http.location(), key);
  request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
  request.body_file = source;
  request.body_offset = offset;
  request.body_size = size;
  request.payload_sha256 = *hash;
  request.what = fmt::format("the upload of part {} of {}", number, key);
  auto response = http.perform(request);
  if (!response) {
    return response.error();
  }
  if (response->status != 200) {
    return http.refusal(*response, request.what);
  }
  auto etag = response->header("etag");
  if (etag.empty()) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("S3 answered {} without an ETag", request.what));
  }
  return etag;
}

// Whether the object is there with `size` bytes: a Complete whose answer was lost on the way
// and retried finds its upload gone (NoSuchUpload) although it succeeded.
bool stored_with_size(S3Http& http, const std::string& key, std::int64_t size) {
  S3Request request;
  request.method = "HEAD";
  request.path = s3_key_path(http.location(), key);
  request.what = "the size of " + key;
  auto response = http.perform(request);
  return response && response->status == 200 &&
         response->header("content-length") == std::to_string(size);
}

Result<void> complete_upload(S3Http& http, const std::string& key, const std::string& upload_id,
                             const std::vector<std::string>& etags, std::int64_t size) {
  std::string body = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i) {
    // ETags are quoted hex: nothing in them needs escaping.
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, etags[i]);
  }
  body += "</CompleteMultipartUpload>";
  S3Request request;
  request.method = "POST";
  request.path = s3_key_path(http.location(), key);
  request.query = {{"uploadId", upload_id}};
  request.headers = {{"Content-Type", "application/xml"}};
  request.payload_sha256 = crypto::sha256_hex(body);
  request.body_text = std::move(body);
  request.what = "the completion of the multipart upload of " + key;
  auto response = http.perform(request);
  if (!response) {
    return response.error();
  }
  if (response->status == 200) {
    // S3 may answer 200 and then report an error in the body of a long Complete.
    if (parse_s3_xml(response->body, {}).root != "Error") {
      return {};
    }
    auto failed = *response;
    failed.status = 500;
    return http.refusal(failed, request.what);
  }
  if (response->status == 404 && response->attempts > 1 && stored_with_size(http, key, size)) {
    return {};
  }
  return http.refusal(*response, request.what);
}

Result<std::int64_t> put_multipart(S3Http& http, const std::string& key, const fs::path& source,
                                   std::int64_t size, std::string_view content_type) {
  auto part_size = std::max(http.tuning().part_size, (size + k_max_parts - 1) / k_max_parts);
  auto upload_id = create_upload(http, key, content_type);
  if (!upload_id) {
    return upload_id.error();
  }
  std::vector<std::string> etags;
  for (std::int64_t offset = 0; offset < size; offset += part_size) {
    auto number = static_cast<std::int64_t>(etags.size()) + 1;
    auto etag = upload_part(http, key, *upload_id, source, number, offset,
                            std::min(part_size, size - offset));
    if (!etag) {
      abort_upload(http, key, *upload_id);
      return etag.error();
    }
    etags.push_back(std::move(*etag));
  }
  if (auto completed = complete_upload(http, key, *upload_id, etags, size); !completed) {
    abort_upload(http, key, *upload_id);
    return completed.error();
  }
  return size;
}

} // namespace

Result<std::string> sha256_of_file_range(const fs::path& file, std::int64_t offset,
                                         std::int64_t size) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> in(std::fopen(file.c_str(), "rb"),
                                                        std::fclose);
  if (!in || ::fseeko(in.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
    return cannot_read(file, errno);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return make_error(ErrorCode::internal, "OpenSSL could not start a SHA-256");
  }
  std::vector<char> buffer(256 * 1024);
  while (size > 0) {
    auto wanted = static_cast<std::size_t>(std::min<std::int64_t>(size, buffer.size()));
    auto got = std::fread(buffer.data(), 1, wanted, in.get());
    if (got == 0) {
      return cannot_read(file, std::ferror(in.get()) ? errno : ENODATA);
    }
    EVP_DigestUpdate(context.get(), buffer.data(), got);
    size -= static_cast<std::int64_t>(got);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex += k_digits[digest[i] >> 4];
    hex += k_digits[digest[i] & 0x0f];
  }
  return hex;
}

Result<std::int64_t> s3_put_file(S3Http& http, const std::string& key, const fs::path& source,
                                 std::string_view content_type) {
  std::error_code ec;
  auto size = fs::file_size(source, ec);
  if (ec) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("cannot read {}: {}", source.string(), ec.message()));
  }
  auto bytes = static_cast<std::int64_t>(size);
  if (bytes > http.tuning().part_size) {
    return put_multipart(http, key, source, bytes, content_type);
  }
  return put_single(http, key, source, bytes, content_type);
}

} // namespace cicd::results

#pragma once
// Stores a file as one S3 object without holding it in memory: one PUT up to the part size, a
// multipart upload above it (CreateMultipartUpload, UploadPart per part streamed from the file
// at its offset with its own SHA-256, CompleteMultipartUpload), aborted on any failure so that
// no half-stored upload is left behind.

#include "cicd/core/error.hpp"
#include "s3_http.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cicd::results {

// Returns the stored size. `key` is the whole key (prefix included), not yet encoded.
Result<std::int64_t> s3_put_file(S3Http& http, const std::string& key,
                                 const std::filesystem::path& source,
                                 std::string_view content_type);

// SHA-256 (hex) of `size` bytes of `file` from `offset`, read in pieces.
Result<std::string> sha256_of_file_range(const std::filesystem::path& file, std::int64_t offset,
                                         std::int64_t size);

} // namespace cicd::results

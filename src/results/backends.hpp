#pragma once
// The result store backends behind open_result_store().

#include "cicd/results/result_store.hpp"
#include "s3_config.hpp"

namespace cicd::results {

// Throws Fatal when the directory cannot be created.
std::unique_ptr<ResultStore> make_file_result_store(const std::filesystem::path& root);

// s3://bucket/prefix?… (s3_config.hpp) with the credentials of the environment. Throws Fatal for
// a malformed URL or missing credentials. Makes no request: S3 may come up after cicd.
std::unique_ptr<ResultStore> make_s3_result_store(std::string_view url);
// The same with everything given, for tests that shorten the timeouts.
std::unique_ptr<ResultStore> make_s3_result_store(S3Location location, S3Credentials credentials,
                                                  S3Tuning tuning);

} // namespace cicd::results

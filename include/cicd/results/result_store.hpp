#pragma once
// Where a run's results live: the console, declared result files and folders, sidecar logs.
// Backends by URL: file:///dir (standalone default) and s3://bucket/prefix?… (any S3 API).
// Object keys are object_key(): runs/<id>/console.log for the console, runs/<id>/results/<name>
// for everything else ("junit", "services/db.log").
//
// Contract: put_file() writes the whole object or nothing (a reader never sees half an object);
// putting the same name again replaces it. Nothing is held whole in memory. Calls may run
// concurrently.

#include "cicd/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cicd::results {

// Checks a result name: segments of [A-Za-z0-9._-] separated by '/', no "." or ".." segment.
Result<void> check_result_name(std::string_view name);

// The key of a run's object below the store's root or prefix.
std::string object_key(std::int64_t run_id, std::string_view name);

class ResultStore {
public:
  virtual ~ResultStore() = default;
  // Stores the file at `source` (which the caller may delete afterwards) as the run's `name`,
  // recording `content_type` where the backend keeps one. Returns the stored size.
  virtual Result<std::int64_t> put_file(std::int64_t run_id, std::string_view name,
                                        const std::filesystem::path& source,
                                        std::string_view content_type) = 0;
  // Streams the object to `sink` in pieces from byte `offset` until the end or until the sink
  // returns false; not_found when absent.
  virtual Result<void> read(std::int64_t run_id, std::string_view name, std::int64_t offset,
                            const std::function<bool(std::string_view)>& sink) = 0;
  virtual Result<std::int64_t> size(std::int64_t run_id, std::string_view name) = 0;
  // Deletes every object of the run. Deleting what is already gone succeeds.
  virtual Result<void> remove_run(std::int64_t run_id) = 0;
  // A URL that fetches the object without credentials until `lifetime` has passed;
  // unprocessable when the backend cannot make one (file://).
  virtual Result<std::string> presigned_url(std::int64_t run_id, std::string_view name,
                                            std::chrono::seconds lifetime) = 0;
};

// Throws Fatal for an unknown or malformed URL.
std::unique_ptr<ResultStore> open_result_store(const std::string& url);

} // namespace cicd::results

#pragma once
// Where a run's results live: the console, declared result files and folders, sidecar logs.
// Backends by URL: file:///dir (a directory per run; standalone) and, with the results issue,
// s3://…. Keys are "runs/<id>/<name>", names like "console", "junit", "services/db.log".
//
// Contract: put() writes the whole object or nothing (a reader never sees half an object);
// putting the same name again replaces it. Calls may run concurrently.

#include "cicd/core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cicd::results {

// Checks a result name: segments of [A-Za-z0-9._-] separated by '/', no "." or ".." segment.
Result<void> check_result_name(std::string_view name);

class ResultStore {
public:
  virtual ~ResultStore() = default;
  // Stores the file at `source` (which the caller may delete afterwards) as the run's `name`.
  virtual Result<std::int64_t> put_file(std::int64_t run_id, std::string_view name,
                                        const std::filesystem::path& source) = 0;
  // Streams the object to `sink` in pieces from byte `offset`; not_found when absent.
  virtual Result<void> read(std::int64_t run_id, std::string_view name, std::int64_t offset,
                            const std::function<bool(std::string_view)>& sink) = 0;
  virtual Result<std::int64_t> size(std::int64_t run_id, std::string_view name) = 0;
};

// Throws Fatal for an unknown or not yet supported URL.
std::unique_ptr<ResultStore> open_result_store(const std::string& url);

} // namespace cicd::results

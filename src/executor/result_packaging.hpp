#pragma once
// How a declared result is stored, made from the tar Docker returns for its path:
// - file:  the file itself, application/octet-stream;
// - junit: one report as application/xml, or a folder of reports as application/zip, with
//          the counts of every .xml report in it;
// - dir:   the folder as a gzipped tar, application/gzip.
// Only regular files and folders are kept: links, devices and paths that would leave the
// folder ("..", absolute) are left out and counted, so nothing in a result points elsewhere.

#include "cicd/core/error.hpp"
#include "cicd/model/run_spec.hpp"
#include "cicd/results/junit_summary.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cicd::executor {

struct PackagedResult {
  std::filesystem::path file;
  std::string content_type;
  std::optional<results::JunitSummary> junit;
  int left_out = 0;                        // entries that were not regular files or folders
  std::vector<std::string> unread_reports; // "report.xml: line 3: not well-formed"
};

// Writes the result next to `tar` (same name without ".tar" plus an extension). not_found
// when a file result is not a regular file; unavailable when the agent's disk fails.
Result<PackagedResult> package_result(const std::filesystem::path& tar, model::ResultType type);

} // namespace cicd::executor

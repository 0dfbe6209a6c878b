#pragma once
// Docker's progress stream, the answer of pull, import and build: JSON objects, one per
// line ({"stream": "..."}, {"status": "...", "progress": "..."}, {"aux": ...}), where an
// {"error": "...", "errorDetail": {"message": "..."}} object means the operation failed even
// though the HTTP status was 200.

#include "http_connection.hpp"

#include <functional>
#include <string_view>

namespace cicd::docker::detail {

// Reads the body of `connection` (whose header was read) to its end. Build output and status
// lines go to `log` (may be empty), one line at a time without the newline. The first error
// object becomes an Error with `failure_code` and the message "Docker: <failure_prefix><its
// message>". Memory stays bounded: a line longer than k_max_progress_line is cut.
Result<void> read_progress_stream(Connection& connection, ErrorCode failure_code,
                                  std::string_view failure_prefix,
                                  const std::function<void(std::string_view line)>& log);

inline constexpr std::size_t k_max_progress_line = 1024 * 1024;

} // namespace cicd::docker::detail

#pragma once
// Durations are strings everywhere in the API and config files: "90s", "30m", "1h30m", "2d".

#include "cicd/core/error.hpp"

#include <chrono>
#include <string_view>

namespace cicd::model {

// One or more <digits><unit> groups, units d, h, m, s, in that order; positive; at most `max`.
Result<std::chrono::seconds> parse_duration(std::string_view text, std::string_view field,
                                            std::chrono::seconds max = std::chrono::hours(24 * 7));

} // namespace cicd::model

#pragma once
// Global settings (PUT /settings) that agents read as well as the master: their keys in the
// settings table and their defaults.

#include <cstdint>
#include <string_view>

namespace cicd::model {

// The console's log limit in MiB: output past it is not stored (the job keeps running).
inline constexpr std::string_view k_console_limit_setting = "console_limit_mib";
inline constexpr std::int64_t k_default_console_limit_mib = 100;
inline constexpr std::int64_t k_max_console_limit_mib = 100 * 1024;

// Days a finished run's console and results are kept; unset: kept until deleted.
inline constexpr std::string_view k_result_retention_setting = "result_retention_days";
inline constexpr std::int64_t k_max_result_retention_days = 100 * 365;

} // namespace cicd::model

#pragma once
// One line per event on stderr ("2026-11-26T23:27:09.123Z warn message"), which systemd's
// journal and a terminal both read well. Never log a secret, a token or a request body.
// Thread safety: lines from concurrent threads are written whole.

#include <fmt/format.h>

#include <string_view>

namespace cicd::log {

enum class Level { debug, info, warn, error };

void set_min_level(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace cicd::log

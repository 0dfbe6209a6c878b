#include "cicd/core/log.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/model/json.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace cicd::log {
namespace {

std::atomic<Level> g_min_level{Level::info};
std::mutex g_mutex;

constexpr std::string_view k_level_names[] = {"debug", "info", "warn", "error"};

} // namespace

void set_min_level(Level level) {
  g_min_level = level;
}

void write(Level level, std::string_view message) {
  if (level < g_min_level.load()) {
    return;
  }
  auto line = fmt::format("{} {} {}\n", model::format_timestamp(now_unix_ms()),
                          k_level_names[static_cast<int>(level)], message);
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

} // namespace cicd::log

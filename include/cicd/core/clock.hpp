#pragma once

#include <chrono>
#include <cstdint>

namespace cicd {

inline std::int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace cicd

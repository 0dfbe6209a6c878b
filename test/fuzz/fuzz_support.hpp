#pragma once
// What the fuzz targets share: a check that aborts (libFuzzer and the replay driver both report
// an abort as a failure, with the input that caused it) and a reader that splits the fuzzer's
// bytes into the parts a target needs.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace cicd::fuzz {

[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz check failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

inline void check(bool condition, std::string_view what) {
  if (!condition) {
    fail(what);
  }
}

// Reads the input front to back. Past the end every read gives empty text or zero, so a
// target never has to check the size itself.
class Input {
public:
  Input(const std::uint8_t* data, std::size_t size)
      : m_rest(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return m_rest.empty(); }

  std::uint8_t byte() {
    if (m_rest.empty()) {
      return 0;
    }
    auto value = static_cast<std::uint8_t>(m_rest.front());
    m_rest.remove_prefix(1);
    return value;
  }

  // The bytes up to the next `separator` (which is dropped), or all the rest.
  std::string_view until(char separator) {
    auto end = m_rest.find(separator);
    auto part = m_rest.substr(0, end);
    m_rest.remove_prefix(end == std::string_view::npos ? m_rest.size() : end + 1);
    return part;
  }

  std::string_view take(std::size_t count) {
    auto part = m_rest.substr(0, count);
    m_rest.remove_prefix(part.size());
    return part;
  }

  std::string_view rest() {
    auto part = m_rest;
    m_rest = {};
    return part;
  }

private:
  std::string_view m_rest;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

} // namespace cicd::fuzz

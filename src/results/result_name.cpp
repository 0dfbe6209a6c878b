#include "cicd/results/result_store.hpp"

#include <fmt/format.h>

namespace cicd::results {

Result<void> check_result_name(std::string_view name) {
  auto fail = [&] {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("'{}' is not a valid result name", name.substr(0, 64)), "name");
  };
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') {
    return fail();
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = std::min(name.find('/', start), name.size());
    auto segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return fail();
    }
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) {
        return fail();
      }
    }
    start = end + 1;
  }
  return {};
}

std::string object_key(std::int64_t run_id, std::string_view name) {
  if (name == "console") {
    return fmt::format("runs/{}/console.log", run_id);
  }
  return fmt::format("runs/{}/results/{}", run_id, name);
}

} // namespace cicd::results

#include "cicd/model/duration.hpp"

#include <string>

namespace cicd::model {

Result<std::chrono::seconds> parse_duration(std::string_view text, std::string_view field,
                                            std::chrono::seconds max) {
  auto fail = [&] {
    return make_error(ErrorCode::invalid_input,
                      "'" + std::string(text.substr(0, 32)) +
                          "' is not a duration: write it like \"90s\", \"30m\", \"1h30m\" or "
                          "\"2d\" (at most " +
                          std::to_string(max.count() / 86400) + " days)",
                      std::string(field));
  };
  constexpr std::string_view k_units = "dhms";
  constexpr std::int64_t k_unit_seconds[] = {86400, 3600, 60, 1};
  std::int64_t total = 0;
  std::size_t next_unit = 0; // units must come in decreasing order, each at most once
  std::size_t i = 0;
  if (text.empty()) {
    return fail();
  }
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      ++i;
      if (++digits > 7) {
        return fail();
      }
    }
    if (digits == 0 || i == text.size()) {
      return fail();
    }
    auto unit = k_units.find(text[i], next_unit);
    if (unit == std::string_view::npos) {
      return fail();
    }
    total += number * k_unit_seconds[unit];
    next_unit = unit + 1;
    ++i;
  }
  if (total <= 0 || total > max.count()) {
    return fail();
  }
  return std::chrono::seconds(total);
}

} // namespace cicd::model

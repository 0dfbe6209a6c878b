#include "secret_masker_forms.hpp"

#include "cicd/executor/secret_masker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace cicd::executor {
namespace {

constexpr std::string_view k_base64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_base64_url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The lines of `value`, each without a trailing '\r'.
std::vector<std::string> lines_of(std::string_view value) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find('\n', start);
    if (end == std::string_view::npos) {
      end = value.size();
    }
    std::string line(value.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// The code points of `text`, or nothing when it is not valid UTF-8.
std::optional<std::vector<std::uint32_t>> code_points(std::string_view text) {
  std::vector<std::uint32_t> points;
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<std::uint32_t>(static_cast<unsigned char>(text[i]));
    int extra = -1; // continuation bytes after the first
    if (byte < 0x80) {
      extra = 0;
    } else if ((byte >> 5) == 0x6) {
      extra = 1;
    } else if ((byte >> 4) == 0xe) {
      extra = 2;
    } else if ((byte >> 3) == 0x1e) {
      extra = 3;
    }
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size()) {
      return std::nullopt;
    }
    std::uint32_t point = extra == 0 ? byte : (byte & (0x3fu >> extra));
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xc0) != 0x80) {
        return std::nullopt;
      }
      point = (point << 6) | (static_cast<std::uint32_t>(next) & 0x3fu);
    }
    points.push_back(point);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return points;
}

struct JsonStyle {
  bool escape_slash = false;
  bool ascii_only = false;
  bool upper_hex = false;
};

std::string unicode_escape(std::uint32_t unit, bool upper_hex) {
  return upper_hex ? fmt::format("\\u{:04X}", unit) : fmt::format("\\u{:04x}", unit);
}

// `text` as the inside of a JSON string written in `style`; nothing when ascii_only is asked
// of text that is not UTF-8.
std::optional<std::string> json_escaped(std::string_view text, JsonStyle style) {
  std::string out;
  auto escape_ascii = [&](char c) {
    switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '/':
      out += style.escape_slash ? "\\/" : "/";
      return;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += unicode_escape(static_cast<unsigned char>(c), style.upper_hex);
      } else {
        out += c;
      }
    }
  };
  if (!style.ascii_only) {
    for (char c : text) {
      escape_ascii(c);
    }
    return out;
  }
  auto points = code_points(text);
  if (!points) {
    return std::nullopt;
  }
  for (auto point : *points) {
    if (point < 0x80) {
      escape_ascii(static_cast<char>(point));
    } else if (point < 0x10000) {
      out += unicode_escape(point, style.upper_hex);
    } else {
      auto offset = point - 0x10000;
      out += unicode_escape(0xd800 + (offset >> 10), style.upper_hex);
      out += unicode_escape(0xdc00 + (offset & 0x3ff), style.upper_hex);
    }
  }
  return out;
}

} // namespace

std::string base64_core(std::string_view value, int alignment, bool url_safe) {
  const auto& alphabet = url_safe ? k_base64_url : k_base64;
  std::string bytes(static_cast<std::size_t>(alignment), '\0');
  bytes.append(value);
  // Character i holds bits [6i, 6i + 6) of the bytes; those of the value are
  // [8 * alignment, 8 * bytes.size()).
  auto first = (8 * static_cast<std::size_t>(alignment) + 5) / 6;
  auto end = 8 * bytes.size() / 6;
  std::string out;
  for (auto i = first; i < end; ++i) {
    auto bit = 6 * i;
    auto byte = bit / 8;
    auto shift = bit % 8;
    unsigned window = static_cast<unsigned char>(bytes[byte]) << 8;
    if (byte + 1 < bytes.size()) {
      window |= static_cast<unsigned char>(bytes[byte + 1]);
    }
    out += alphabet[(window >> (10 - shift)) & 0x3f];
  }
  return out;
}

std::vector<std::string> secret_forms(std::string_view value) {
  std::vector<std::string> forms;
  auto add_base64 = [&](std::string_view text) {
    for (int alignment = 0; alignment < 3; ++alignment) {
      for (bool url_safe : {false, true}) {
        forms.push_back(base64_core(text, alignment, url_safe));
      }
    }
  };
  auto lines = lines_of(value);
  for (const auto& line : lines) {
    if (line.size() < k_min_secret_length) {
      continue;
    }
    forms.push_back(line);
    for (bool escape_slash : {false, true}) {
      for (bool ascii_only : {false, true}) {
        for (bool upper_hex : {false, true}) {
          if (auto escaped = json_escaped(line, {escape_slash, ascii_only, upper_hex})) {
            forms.push_back(std::move(*escaped));
          }
        }
      }
    }
    add_base64(line);
  }
  if (lines.size() > 1 && value.size() >= k_min_secret_length) {
    add_base64(value);
  }
  std::erase_if(forms, [](const std::string& form) { return form.size() < k_min_secret_length; });
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

} // namespace cicd::executor

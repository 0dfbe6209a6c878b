#include "console_html.hpp"

#include <fmt/format.h>

#include <charconv>

namespace cicd::ui {
namespace {

struct Style {
  int foreground = 0; // 0: the default; 30–37, 90–97
  bool bold = false;
  bool plain() const { return foreground == 0 && !bold; }
  bool operator==(const Style&) const = default;
};

void apply_sgr(std::string_view parameters, Style& style) {
  if (parameters.empty()) {
    style = {};
    return;
  }
  while (!parameters.empty()) {
    auto end = parameters.find(';');
    auto item = parameters.substr(0, end);
    int code = 0;
    std::from_chars(item.data(), item.data() + item.size(), code);
    if (code == 0) {
      style = {};
    } else if (code == 1) {
      style.bold = true;
    } else if (code == 22) {
      style.bold = false;
    } else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
      style.foreground = code;
    } else if (code == 39) {
      style.foreground = 0;
    } else if (code == 38 || code == 48) {
      return; // 256-colour and RGB forms: their arguments follow; not rendered
    }
    if (end == std::string_view::npos) {
      break;
    }
    parameters.remove_prefix(end + 1);
  }
}

std::string open_span(const Style& style) {
  std::string classes;
  if (style.foreground != 0) {
    classes = fmt::format("ansi-{}", style.foreground);
  }
  if (style.bold) {
    classes += classes.empty() ? "ansi-bold" : " ansi-bold";
  }
  return "<span class=\"" + classes + "\">";
}

} // namespace

std::string console_html(std::string_view console) {
  std::string out;
  out.reserve(console.size() + console.size() / 8);
  Style style;
  Style shown;
  for (std::size_t i = 0; i < console.size(); ++i) {
    char c = console[i];
    if (c == '\x1b') {
      // CSI: ESC [ parameters (0x30–0x3f)* intermediates (0x20–0x2f)* final (0x40–0x7e).
      if (i + 1 < console.size() && console[i + 1] == '[') {
        std::size_t j = i + 2;
        while (j < console.size() && console[j] >= 0x30 && console[j] <= 0x3f) {
          ++j;
        }
        auto parameters = console.substr(i + 2, j - (i + 2));
        while (j < console.size() && console[j] >= 0x20 && console[j] <= 0x2f) {
          ++j;
        }
        if (j < console.size() && console[j] == 'm') {
          apply_sgr(parameters, style);
        }
        i = j;
      }
      continue;
    }
    if (!(style == shown)) {
      if (!shown.plain()) {
        out += "</span>";
      }
      if (!style.plain()) {
        out += open_span(style);
      }
      shown = style;
    }
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  if (!shown.plain()) {
    out += "</span>";
  }
  return out;
}

} // namespace cicd::ui

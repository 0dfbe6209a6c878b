// The ui's colours meet WCAG 2.1 AA for text (a contrast ratio of at least 4.5:1), measured on
// the stylesheet the binary serves: every run status, the console's ANSI colours on its dark
// ground, links, muted text, errors and buttons.
#include "ui/embedded_ui.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <string>

namespace cicd::ui {
namespace {

constexpr double k_aa_text = 4.5;

// The stylesheet's declarations by selector ("a", ".status-failed", …), var(--x) resolved.
class Stylesheet {
public:
  explicit Stylesheet(std::string_view css) {
    std::string text(css);
    text = std::regex_replace(text, std::regex(R"(/\*[^*]*\*+([^/*][^*]*\*+)*/)"), "");
    std::regex rule(R"(([^{}]+)\{([^}]*)\})");
    std::regex declaration(R"(([-a-z]+)\s*:\s*([^;]+))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), rule);
         it != std::sregex_iterator(); ++it) {
      std::map<std::string, std::string> values;
      std::string body = (*it)[2];
      for (auto d = std::sregex_iterator(body.begin(), body.end(), declaration);
           d != std::sregex_iterator(); ++d) {
        values[trim((*d)[1])] = trim((*d)[2]);
      }
      std::string selectors = (*it)[1];
      std::size_t start = 0;
      while (start <= selectors.size()) {
        auto comma = std::min(selectors.find(',', start), selectors.size());
        for (const auto& [property, value] : values) {
          m_rules[trim(selectors.substr(start, comma - start))][property] = value;
        }
        start = comma + 1;
      }
    }
  }

  // A colour declared for the selector, as #rrggbb; "" when there is none.
  std::string colour(const std::string& selector, const std::string& property) const {
    auto rule = m_rules.find(selector);
    if (rule == m_rules.end()) {
      return {};
    }
    auto value = rule->second.find(property);
    if (value == rule->second.end()) {
      return {};
    }
    std::smatch var;
    if (std::regex_match(value->second, var, std::regex(R"(var\((--[-a-z]+)\))"))) {
      return colour(":root", var[1]);
    }
    return value->second;
  }

private:
  static std::string trim(std::string text) {
    auto first = text.find_first_not_of(" \n\t");
    auto last = text.find_last_not_of(" \n\t");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  }

  std::map<std::string, std::map<std::string, std::string>> m_rules;
};

double channel(int value) {
  double c = value / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

// WCAG 2.1 relative luminance of "#rgb" or "#rrggbb".
double luminance(std::string hex) {
  EXPECT_TRUE(std::regex_match(hex, std::regex("#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")))
      << "not a hex colour: '" << hex << "'";
  if (hex.size() == 4) {
    hex = {'#', hex[1], hex[1], hex[2], hex[2], hex[3], hex[3]};
  }
  if (hex.size() != 7) {
    return 0;
  }
  auto part = [&](int at) { return std::stoi(hex.substr(at, 2), nullptr, 16); };
  return 0.2126 * channel(part(1)) + 0.7152 * channel(part(3)) + 0.0722 * channel(part(5));
}

double contrast(const std::string& a, const std::string& b) {
  auto la = luminance(a);
  auto lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

const Stylesheet& stylesheet() {
  static const Stylesheet sheet = [] {
    for (const auto& file : ui_static_files()) {
      if (file.name == "ui.css") {
        return Stylesheet(file.content);
      }
    }
    ADD_FAILURE() << "ui.css is not among the ui's static files";
    return Stylesheet("");
  }();
  return sheet;
}

void expect_readable(const std::string& what, const std::string& text, const std::string& ground) {
  ASSERT_FALSE(text.empty()) << what << ": no text colour";
  ASSERT_FALSE(ground.empty()) << what << ": no background colour";
  EXPECT_GE(contrast(text, ground), k_aa_text)
      << what << ": " << text << " on " << ground << " is " << contrast(text, ground) << ":1";
}

TEST(UiContrast, TheFormulaMatchesWcagReferencePairs) {
  EXPECT_NEAR(contrast("#000", "#fff"), 21.0, 1e-9);
  EXPECT_NEAR(contrast("#777", "#fff"), 4.48, 0.01); // just under AA, a known reference
}

TEST(UiContrast, EveryRunStatusIsReadableOnItsBadge) {
  for (const auto* status :
       {"succeeded", "failed", "errored", "timed_out", "running", "queued", "aborted", "none"}) {
    auto selector = std::string(".status-") + status;
    expect_readable(selector, stylesheet().colour(selector, "color"),
                    stylesheet().colour(selector, "background"));
  }
}

TEST(UiContrast, PageTextLinksErrorsAndButtonsAreReadable) {
  const auto& css = stylesheet();
  auto page = css.colour("body", "background");
  expect_readable("body", css.colour("body", "color"), page);
  expect_readable("a", css.colour("a", "color"), page);
  expect_readable(".muted", css.colour(".muted", "color"), page);
  expect_readable("dl.facts dt", css.colour("dl.facts dt", "color"), page);
  expect_readable(".error", css.colour(".error", "color"), css.colour(".error", "background"));
  expect_readable("header.top a", css.colour("header.top a", "color"),
                  css.colour("header.top", "background"));
  expect_readable("form.abort button", css.colour("form.abort button", "color"),
                  css.colour("form.abort button", "background"));
}

TEST(UiContrast, ConsoleTextAndEveryAnsiColourAreReadableOnTheConsole) {
  const auto& css = stylesheet();
  auto ground = css.colour("pre.console", "background");
  expect_readable("pre.console", css.colour("pre.console", "color"), ground);
  for (int base : {30, 90}) {
    for (int code = base; code < base + 8; ++code) {
      auto selector = ".ansi-" + std::to_string(code);
      expect_readable(selector, css.colour(selector, "color"), ground);
    }
  }
}

} // namespace
} // namespace cicd::ui

#pragma once
// A console as HTML: every character escaped, ANSI colour codes (SGR: bold, the 8 and 8
// bright foreground colours, reset) turned into <span class="ansi-…">, other escape sequences
// dropped. static/console.js does the same for the lines that arrive live.

#include <string>
#include <string_view>

namespace cicd::ui {

std::string console_html(std::string_view console);

} // namespace cicd::ui

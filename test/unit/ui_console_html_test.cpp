#include "ui/console_html.hpp"

#include <gtest/gtest.h>

namespace cicd::ui {
namespace {

TEST(UiConsoleHtml, EscapesEveryCharacterThatMeansSomethingInHtml) {
  EXPECT_EQ(console_html("<img src=x onerror=\"alert('1')\"> & more\n"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; more\n");
}

TEST(UiConsoleHtml, TurnsColourCodesIntoSpansAndDropsOtherSequences) {
  EXPECT_EQ(console_html("\x1b[31mred\x1b[0m plain"), "<span class=\"ansi-31\">red</span> plain");
  EXPECT_EQ(console_html("\x1b[1;92mok\x1b[m"), "<span class=\"ansi-92 ansi-bold\">ok</span>");
  EXPECT_EQ(console_html("\x1b[2Kcleared\x1b[?25l"), "cleared");
  EXPECT_EQ(console_html("\x1b[33m<b>"), "<span class=\"ansi-33\">&lt;b&gt;</span>");
  EXPECT_EQ(console_html("cut \x1b["), "cut ");
}

} // namespace
} // namespace cicd::ui

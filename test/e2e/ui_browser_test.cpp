// The web pages in a real browser: defines the jobs test/browser/ui.test.mjs expects on a
// `cicd standalone` of its own, then runs that script (Debian's chromium driven by
// playwright-core from test/browser/node_modules, which scripts/setup installs). Without node,
// chromium or playwright-core the test fails under CI=true and is skipped loudly elsewhere.
// Screenshots of each page: <build dir>/test/ui-browser/ (the path is printed).
#include "agent_fixture.hpp"

#include "support/git_repos.hpp"

#include <cstdlib>
#include <filesystem>

namespace cicd::test {
namespace {

using UiBrowserTest = AgentTest;

TEST_F(UiBrowserTest, ChromiumSignsInRunsFollowsDownloadsAbortsAndSeesMarkupAsText) {
  if (!have_tool("node", "nodejs") || !have_tool("/usr/bin/chromium", "chromium")) {
    return;
  }
  std::filesystem::path browser_dir = std::filesystem::path(CICD_TEST_DATA) / ".." / "browser";
  if (!std::filesystem::exists(browser_dir / "node_modules" / "playwright-core")) {
    auto message = "test/browser/node_modules/playwright-core is missing: run scripts/setup";
    if (const char* ci = std::getenv("CI"); ci != nullptr && std::string_view(ci) == "true") {
      FAIL() << message;
    }
    GTEST_SKIP() << message;
  }
  put_job("browser-params",
          freestyle_job(R"(echo "greeting=$GREETING target=$TARGET verbose=$VERBOSE shards=$SHARDS"
for i in 1 2 3 4; do sleep 1; echo "line $i"; done
printf '\033[32mgreen\033[0m plain\n'
mkdir -p out && echo payload > out/file.txt)",
                        R"("results": {"file": {"path": "out/file.txt", "type": "file"}},
      "parameters": {
        "TARGET": {"type": "choice", "choices": ["debug", "release"], "default": "debug"},
        "VERBOSE": {"type": "bool", "default": false},
        "SHARDS": {"type": "integer", "default": 4},
        "GREETING": {"type": "string", "required": true}})"));
  put_job("browser-long", freestyle_job("echo sleeping; sleep 120"));
  put_job("browser-xss", freestyle_job(R"(echo "<img src=x onerror=alert('console')>")",
                                       R"("description": "<script>alert('description')</script>",
      "parameters": {"NOTE": {"type": "string", "default": "\"><img src=x onerror=alert(1)>"}})"));

  auto out = std::filesystem::current_path() / "ui-browser";
  std::filesystem::create_directories(out);
  auto command = "cd " + shell_quote(browser_dir.string()) + " && CICD_UI_URL=" +
                 shell_quote("http://127.0.0.1:" + std::to_string(standalone().port()) + "/ui") +
                 " CICD_UI_TOKEN=" + shell_quote(standalone().token("trigger")) +
                 " CICD_UI_OUT=" + shell_quote(out.string()) + " node ui.test.mjs 2>&1";
  auto output = run_shell(command);
  std::cout << output << "screenshots: " << out.string() << "\n";
  EXPECT_TRUE(holds_text(output, "all steps passed"));
  // The runs the browser started are not in the fixture's list; stopping the process at
  // teardown still checks that nothing labelled with its agent id is left.
}

} // namespace
} // namespace cicd::test

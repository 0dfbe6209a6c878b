// Issue 11, security tests for secrets on a real agent (RELIABILITY.md invariant 7): a value
// printed base64-encoded or JSON-escaped is masked in the console like the value itself
// (docs/config.md, "Masking"), and no process on the agent's host ever has the value on its
// command line while a job using it runs.
#include "agent_fixture.hpp"

#include "support/jwt_forge.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace cicd::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// RFC 4648 base64 with padding, written here independently of the masker.
std::string base64(std::string_view bytes) {
  auto text = base64url(bytes);
  for (auto& c : text) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  text.append((4 - text.size() % 4) % 4, '=');
  return text;
}

// `text` with '\' and '"' escaped, as a JSON string's inside; `slash` also escapes '/'.
std::string json_escaped(std::string_view text, bool slash) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"' || (slash && c == '/')) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// The command lines (NULs as spaces) of every process /proc shows now.
std::vector<std::string> command_lines() {
  std::vector<std::string> lines;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(it->path() / "cmdline", std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto line = bytes.str();
    std::replace(line.begin(), line.end(), '\0', ' ');
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

class SecuritySecretsTest : public AgentTest {
protected:
  void put_secret(std::string_view job, std::string_view name, std::string_view value) {
    auto response = call(Verb::put, "/jobs/" + std::string(job) + "/secrets/" + std::string(name),
                         R"({"value": )" + json_quote(value) + "}");
    EXPECT_EQ(response.status, 201) << response.body;
  }
};

TEST_F(SecuritySecretsTest, Base64AndJsonEscapedFormsOfAValueAreMaskedInTheConsole) {
  const std::string canary = R"(s3cr"t\pa/ss-7f3e9a)";
  put_job("encode", freestyle_job(R"sh(echo "b64: $(printf '%s' "$TOKEN" | base64)"
echo "b64+1: $(printf 'x%s' "$TOKEN" | base64)"
echo "b64+2: $(printf 'xy%s' "$TOKEN" | base64)"
echo "b64url: $(printf '%s' "$TOKEN" | base64 | tr '/+' '_-')"
printf '{"token":"%s"}\n' "$(printf '%s' "$TOKEN" | sed 's/\\/\\\\/g; s/"/\\"/g')"
printf '{"token":"%s"}\n' "$(printf '%s' "$TOKEN" | sed 's/\\/\\\\/g; s/"/\\"/g; s/\//\\\//g')"
echo done)sh",
                                  R"("secrets": ["TOKEN"])"));
  put_secret("encode", "TOKEN", canary);
  auto id = trigger("encode");
  auto run = wait_for_end("encode", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("encode", id);
  EXPECT_TRUE(holds_text(output, "done\n")) << "the job did not print everything";
  // The encoded forms, each made here: none is shown, whole or with only its last
  // characters (the one or two that mix in the padding) cut off.
  auto url_safe = base64(canary);
  for (auto& c : url_safe) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  for (const auto& form : {base64(canary), base64("x" + canary), base64("xy" + canary), url_safe}) {
    auto stem = form.substr(0, form.find('=')); // without padding
    EXPECT_TRUE(lacks_text(output, stem.substr(0, stem.size() - 2))) << form;
  }
  EXPECT_TRUE(holds_text(output, "b64: ***"));
  EXPECT_TRUE(holds_text(output, "b64url: ***"));
  for (bool slash : {false, true}) {
    EXPECT_TRUE(lacks_text(output, json_escaped(canary, slash)));
  }
  EXPECT_TRUE(holds_text(output, "{\"token\":\"***\"}\n{\"token\":\"***\"}\n"));
  EXPECT_TRUE(lacks_text(output, "7f3e9a"));
}

TEST_F(SecuritySecretsTest, NoProcessOnTheHostHasTheValueOnItsCommandLine) {
  const std::string canary = "canary-argv-5d2c81e7";
  put_job("argv", freestyle_job("tail -f /dev/null &\nsleep 4\nkill $!\necho finished",
                                R"("secrets": ["TOKEN"])"));
  put_secret("argv", "TOKEN", canary);
  auto id = trigger("argv");
  // From the trigger to the end: the agent pulling, creating and starting the container, the
  // engine's and the runtime's processes, and the job's own.
  bool saw_the_job = false;
  std::vector<std::string> leaks;
  auto deadline = std::chrono::steady_clock::now() + k_run_deadline;
  for (int scans = 0; std::chrono::steady_clock::now() < deadline && scans < 600; ++scans) {
    for (const auto& line : command_lines()) {
      saw_the_job = saw_the_job || line == "tail -f /dev/null ";
      if (line.find(canary) != std::string::npos) {
        leaks.push_back(line);
      }
    }
    auto status = get_run("argv", id).status;
    if (status != "queued" && status != "running") {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(leaks, std::vector<std::string>{});
  EXPECT_TRUE(saw_the_job)
      << "the job's `tail -f /dev/null` was never seen: /proc does not show the "
         "engine's containers, so this test proves nothing";
  auto run = wait_for_end("argv", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_TRUE(lacks_text(console("argv", id), canary));
}

} // namespace
} // namespace cicd::test

#include "cicd/git/repository.hpp"

#include "git/socket_stream.hpp"
#include "git_fixture.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <chrono>

// The network below libgit2: deadlines on hung servers (git/socket_stream.hpp) and TLS that is
// not trusted. https with a token is not covered: these machines have no https git server.

namespace cicd::git {
namespace {

using namespace std::chrono_literals;

// Short timeouts for the test, the defaults again afterwards.
class GitNetwork : public GitTest {
protected:
  void SetUp() override {
    GitTest::SetUp();
    m_saved = network_timeouts();
    set_network_timeouts({2s, 1s});
  }
  void TearDown() override { set_network_timeouts(m_saved); }

  NetworkTimeouts m_saved;
};

TEST_F(GitNetwork, AHungServerTimesOut) {
  REQUIRE_REPO();
  test::SilentServer silent;
  RepoCache cache(m_work.path() / "cache");
  for (const std::string scheme : {"git", "https"}) {
    auto url = scheme + "://127.0.0.1:" + std::to_string(silent.port()) + "/r.git";
    auto started = std::chrono::steady_clock::now();
    auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_ERROR(resolved, ErrorCode::bad_gateway) << url;
    EXPECT_EQ(resolved.error().message, "cannot reach " + url + ": 127.0.0.1 sent nothing for 1 s");
    EXPECT_LT(took, 10s) << url;
  }
}

TEST_F(GitNetwork, AnUntrustedCertificateIsRefused) {
  REQUIRE_REPO();
  test::UntrustedTlsServer server;
  if (!server.started()) {
    return;
  }
  RepoCache cache(m_work.path() / "cache");
  auto url = "https://127.0.0.1:" + std::to_string(server.port()) + "/r.git";
  auto resolved = cache.resolve_branch(url, "main", k_no_credentials);
  ASSERT_ERROR(resolved, ErrorCode::bad_gateway);
  EXPECT_TRUE(resolved.error().message.starts_with("cannot reach " + url + ": "))
      << resolved.error().message;
  EXPECT_NE(resolved.error().message.find("certificate"), std::string::npos)
      << resolved.error().message;
}

} // namespace
} // namespace cicd::git

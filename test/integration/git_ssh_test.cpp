#include "cicd/git/repository.hpp"

#include "git_fixture.hpp"

#include "cicd/crypto/ssh_key.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

// ssh:// remotes through a private sshd on loopback: a deploy key made by crypto::
// generate_ssh_key, the host key checked by fingerprint. (https with a token is not covered:
// these machines have no https git server.)

namespace cicd::git {
namespace {

class GitSsh : public GitTest {
protected:
  void SetUp() override {
    GitTest::SetUp();
    if (!m_repo || HasFailure() || IsSkipped()) {
      return;
    }
    m_sshd = std::make_unique<test::TestSshd>();
    if (!m_sshd->started()) {
      return;
    }
    m_head = m_repo->commit("main", {{".cicd.yml", "script: make\n"}});
    auto key = crypto::generate_ssh_key("cicd job ssh-test");
    ASSERT_OK(key);
    m_key = *key;
  }

  // The deploy key, and a host-key check that trusts the test sshd's key only (and notes
  // what it was asked).
  Credentials credentials() {
    Credentials credentials;
    credentials.ssh_private_key = m_key.private_key;
    credentials.ssh_public_key = m_key.public_key;
    credentials.check_host_key = [this](const std::string& host,
                                        const std::string& fingerprint) -> Result<void> {
      m_checked_host = host;
      if (fingerprint != m_sshd->host_key_fingerprint()) {
        return make_error(ErrorCode::unprocessable, "not the key we know (" + fingerprint + ")");
      }
      return {};
    };
    return credentials;
  }

  Result<RunCheckout> fetch(const Credentials& credentials) {
    return RunCheckout::fetch(m_work.path() / ("run-" + std::to_string(++m_runs)),
                              m_sshd->url(m_repo->bare_path()), m_head, "main", credentials,
                              [] { return true; });
  }

  std::unique_ptr<test::TestSshd> m_sshd;
  std::string m_head;
  crypto::SshKeyPair m_key;
  std::string m_checked_host;
  int m_runs = 0;
};

#define REQUIRE_SSHD()                                                                             \
  if (!m_sshd || !m_sshd->started() || HasFailure() || IsSkipped()) {                              \
    return;                                                                                        \
  }

TEST_F(GitSsh, FetchesWithADeployKeyFromATrustedHost) {
  REQUIRE_SSHD();
  m_sshd->authorize(m_key.public_key);
  auto checkout = fetch(credentials());
  ASSERT_OK(checkout) << m_sshd->log();
  EXPECT_EQ(*checkout->read_file(".cicd.yml"), "script: make\n");
  EXPECT_EQ(m_checked_host, m_sshd->host());

  RepoCache cache(m_work.path() / "cache");
  auto url = m_sshd->url(m_repo->bare_path());
  auto resolved = cache.resolve_branch(url, "main", credentials());
  ASSERT_OK(resolved) << m_sshd->log();
  EXPECT_EQ(*resolved, m_head);
  EXPECT_EQ(*cache.read_file(url, m_head, ".cicd.yml"), "script: make\n");
}

TEST_F(GitSsh, AnUnknownHostKeyIsRefused) {
  REQUIRE_SSHD();
  m_sshd->authorize(m_key.public_key);
  auto distrusting = credentials();
  distrusting.check_host_key = [](const std::string&,
                                  const std::string& fingerprint) -> Result<void> {
    return make_error(ErrorCode::unprocessable, fingerprint + " is not in the job's known hosts");
  };
  auto checkout = fetch(distrusting);
  ASSERT_ERROR(checkout, ErrorCode::bad_gateway);
  const auto& message = checkout.error().message;
  EXPECT_TRUE(message.starts_with("cannot reach " + m_sshd->url(m_repo->bare_path()) + ": "))
      << message;
  EXPECT_NE(message.find("host key of " + m_sshd->host() + " (" + m_sshd->host_key_fingerprint() +
                         ") was refused"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("is not in the job's known hosts"), std::string::npos) << message;

  auto unchecked = credentials();
  unchecked.check_host_key = nullptr;
  auto refused = fetch(unchecked);
  ASSERT_ERROR(refused, ErrorCode::bad_gateway);
  EXPECT_NE(refused.error().message.find("host key"), std::string::npos) << refused.error().message;
}

TEST_F(GitSsh, AKeyTheServerDoesNotKnowIsRefused) {
  REQUIRE_SSHD();
  auto checkout = fetch(credentials()); // the key was never authorized
  ASSERT_ERROR(checkout, ErrorCode::bad_gateway);
  EXPECT_NE(checkout.error().message.find("refused the SSH deploy key"), std::string::npos)
      << checkout.error().message;
  // The private key never shows in a message.
  EXPECT_EQ(checkout.error().message.find("PRIVATE KEY"), std::string::npos);

  auto without_key = credentials();
  without_key.ssh_private_key.clear();
  without_key.ssh_public_key.clear();
  auto anonymous = fetch(without_key);
  ASSERT_ERROR(anonymous, ErrorCode::bad_gateway);
  EXPECT_NE(anonymous.error().message.find("no deploy key"), std::string::npos)
      << anonymous.error().message;
}

} // namespace
} // namespace cicd::git

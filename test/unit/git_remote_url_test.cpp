#include "git/remote_url.hpp"

#include <gtest/gtest.h>

namespace cicd::git {
namespace {

TEST(GitRemoteUrl, SshUrlsKeepTheUserAndNameHostAndPort) {
  auto remote = parse_remote_url("ssh://git@127.0.0.1:2222/srv/r.git");
  EXPECT_TRUE(remote.ssh);
  EXPECT_EQ(remote.shown, "ssh://git@127.0.0.1:2222/srv/r.git");
  EXPECT_EQ(remote.host_and_port, "127.0.0.1:2222");
  EXPECT_EQ(remote.user, "git");
  EXPECT_TRUE(remote.secrets.empty());

  auto default_port = parse_remote_url("ssh://github.com/org/repo.git");
  EXPECT_EQ(default_port.host_and_port, "github.com:22");
  EXPECT_EQ(default_port.user, "");

  auto ipv6 = parse_remote_url("git+ssh://git@[::1]/r.git");
  EXPECT_TRUE(ipv6.ssh);
  EXPECT_EQ(ipv6.host_and_port, "[::1]:22");
}

TEST(GitRemoteUrl, ScpLikeRemotesAreSsh) {
  auto remote = parse_remote_url("git@github.com:org/repo.git");
  EXPECT_TRUE(remote.ssh);
  EXPECT_EQ(remote.host_and_port, "github.com:22");
  EXPECT_EQ(remote.user, "git");
  EXPECT_EQ(remote.shown, "git@github.com:org/repo.git");
}

TEST(GitRemoteUrl, CredentialsNeverShow) {
  auto token = parse_remote_url("https://ghp_secret@github.com/org/repo.git");
  EXPECT_FALSE(token.ssh);
  EXPECT_EQ(token.shown, "https://github.com/org/repo.git");
  EXPECT_EQ(token.host_and_port, "github.com:443");

  auto password = parse_remote_url("https://user:hunter2@example.com:8443/r.git");
  EXPECT_EQ(password.shown, "https://example.com:8443/r.git");
  auto message = scrub("cannot fetch https://user:hunter2@example.com:8443/r.git: hunter2 bad",
                       "https://user:hunter2@example.com:8443/r.git", password);
  EXPECT_EQ(message, "cannot fetch https://example.com:8443/r.git: *** bad");

  auto ssh_password = parse_remote_url("ssh://git:pw@host/r.git");
  EXPECT_EQ(ssh_password.shown, "ssh://git@host/r.git");
  EXPECT_EQ(ssh_password.user, "git");
}

TEST(GitRemoteUrl, LocalPathsAreShownAsTheyAre) {
  for (const char* url : {"/srv/git/r.git", "file:///srv/git/r.git"}) {
    auto remote = parse_remote_url(url);
    EXPECT_FALSE(remote.ssh) << url;
    EXPECT_EQ(remote.shown, url);
  }
  EXPECT_EQ(parse_remote_url("git://127.0.0.1:9418/r.git").host_and_port, "127.0.0.1:9418");
}

} // namespace
} // namespace cicd::git

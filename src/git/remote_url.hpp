#pragma once
// What the git module needs to know about a remote's URL: how to show it in a message without
// a credential, and, for SSH, which host and user it names. Private to src/git.

#include <string>
#include <vector>

namespace cicd::git {

struct RemoteUrl {
  // For messages and logs. An ssh:// URL keeps its user name (it is not a secret: "git@") but
  // loses any password; other URLs lose their whole user info, which may be a token
  // ("https://<token>@host/…").
  std::string shown;
  // ssh://, ssh+git://, git+ssh:// and scp-like "user@host:path" remotes.
  bool ssh = false;
  // The host and port the connection goes to ("github.com:22"), for the host-key check.
  std::string host_and_port;
  // The user name the URL names, "" when it names none.
  std::string user;
  // What a message must never show: the user info of a non-SSH URL, a password.
  std::vector<std::string> secrets;
};

// Never fails: what it cannot make sense of is shown as it is, less anything before an '@'.
RemoteUrl parse_remote_url(const std::string& url);

// `text` with every occurrence of the remote's raw URL replaced by its shown form and of its
// secrets by "***": for messages that libgit2 or a server wrote.
std::string scrub(std::string text, const std::string& raw_url, const RemoteUrl& remote);

} // namespace cicd::git

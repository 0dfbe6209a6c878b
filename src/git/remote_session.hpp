#pragma once
// One conversation with a remote: the callbacks libgit2 calls while it connects and fetches
// (credentials, the SSH host key, progress), what they saw, and the error to report when a
// call failed. Private to src/git.

#include "cicd/git/repository.hpp"

#include "libgit2_handles.hpp"
#include "remote_url.hpp"

#include <functional>
#include <string>

namespace cicd::git {

// Thread safety: none; one per operation, used by the thread that runs it. It must outlive
// every libgit2 call made with its callbacks().
class RemoteSession {
public:
  // `keep_going` may be empty: then the transfer is never cancelled.
  RemoteSession(std::string url, const Credentials& credentials, std::function<bool()> keep_going);
  RemoteSession(const RemoteSession&) = delete;
  RemoteSession& operator=(const RemoteSession&) = delete;

  const std::string& url() const { return m_url; }
  // The URL for messages: never a credential.
  const std::string& shown_url() const { return m_remote.shown; }

  // The callbacks for git_remote_connect and git_remote_fetch, with this as their payload.
  git_remote_callbacks callbacks();

  // Whether the caller's keep_going still says yes; remembers a no.
  bool keep_going();
  bool cancelled() const { return m_cancelled; }

  // The error for a libgit2 call that returned `code` while talking to the remote. Cancelled:
  // unprocessable. Else bad_gateway, "cannot reach <url>: <reason>" while connecting (`doing`
  // empty) or "<doing> from <url> failed: <reason>", the reason being the refused host key or
  // credentials or what libgit2 said, with every credential scrubbed from it.
  Error failure(int code, const std::string& doing) const;

  // `text` (something libgit2 or the server said) without the raw URL or a credential.
  std::string scrubbed(std::string text) const;

private:
  static int acquire_credential(git_credential** out, const char* url,
                                const char* username_from_url, unsigned int allowed_types,
                                void* payload);
  static int check_certificate(git_cert* cert, int valid, const char* host, void* payload);
  static int transfer_progress(const git_indexer_progress* stats, void* payload);
  static int sideband_progress(const char* text, int length, void* payload);

  int offer_credential(git_credential** out, const char* username_from_url,
                       unsigned int allowed_types);
  int check_host_key(git_cert* cert);
  int refuse(std::string reason);

  std::string m_url;
  RemoteUrl m_remote;
  const Credentials& m_credentials;
  std::function<bool()> m_keep_going;
  bool m_cancelled = false;
  // Each kind of credential is offered once per connection: a server that refuses it would
  // otherwise be asked again forever.
  bool m_offered_ssh_key = false;
  bool m_offered_token = false;
  // Why our side refused to go on (host key, credentials), for failure().
  std::string m_refusal;
};

} // namespace cicd::git

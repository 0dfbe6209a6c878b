#pragma once
// A connection to a remote through an anonymous git_remote: what it advertises (the
// ls-remote listing) and fetches of explicit refspecs. Private to src/git.

#include "cicd/core/error.hpp"

#include "libgit2_handles.hpp"
#include "remote_session.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cicd::git {

struct AdvertisedRef {
  std::string name; // "refs/heads/main", "HEAD", "refs/tags/v1^{}"
  git_oid id;
};

// "refs/heads/<branch>", or unprocessable when `branch` is no valid branch name (which also
// keeps refspec syntax such as '*' or ':' out of the fetches).
Result<std::string> branch_ref_name(const std::string& branch);

// Thread safety: none. The repository and the session must outlive it.
class RemoteConnection {
public:
  // Connects for fetching and reads the advertised refs. Errors: session.failure().
  static Result<RemoteConnection> open(git_repository* repository, RemoteSession& session);

  const std::vector<AdvertisedRef>& refs() const { return m_refs; }
  // The id `ref_name` points at, when the remote advertises it.
  std::optional<git_oid> find(const std::string& ref_name) const;
  // An advertised ref that points at `id` (a tag's name when its peeled entry does):
  // `preferred` when it is one, else a branch, else any other ("refs/pull/7/head"). Never
  // "HEAD". Fetching it needs no server support for wants by id.
  std::optional<std::string> ref_pointing_at(const git_oid& id,
                                             const std::string& preferred = {}) const;

  // Downloads what `refspecs` name and updates the local refs they map to: no tags, no
  // FETCH_HEAD, nothing pruned. The first fetch uses the open connection; later ones (after a
  // failure, say) connect again. `doing` ("fetching branch 'main'") is for the error message.
  Result<void> fetch(const std::vector<std::string>& refspecs, const std::string& doing);

  // What the last fetch received, for the log.
  git_indexer_progress received() const;

private:
  RemoteConnection(RemotePtr remote, RemoteSession& session)
      : m_remote(std::move(remote)), m_session(&session) {}

  RemotePtr m_remote;
  RemoteSession* m_session;
  std::vector<AdvertisedRef> m_refs;
  bool m_fetched = false;
};

} // namespace cicd::git

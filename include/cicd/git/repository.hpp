#pragma once
// Git through libgit2 (DESIGN.md, "A run on the agent" step 2): the master resolves a branch
// and reads one file at a commit from a bare cache per remote; the agent fetches exactly the
// run's commit into a per-run directory and hands Docker tars of its tree. No checkout is
// ever written out: trees are read from the object database.
//
// Errors, for every function here: ErrorCode::unprocessable when the remote answered but has
// no such branch, commit or file (the message names it); ErrorCode::bad_gateway when the
// remote cannot be reached or refuses us (the message names the URL — never a credential —
// and what went wrong); ErrorCode::internal for a broken local repository.

#include "cicd/core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace cicd::git {

// How to authenticate to a remote. Empty members are not offered.
struct Credentials {
  // ssh:// remotes: an OpenSSH-format private key (see crypto/ssh_key.hpp) and its public line.
  std::string ssh_private_key;
  std::string ssh_public_key;
  // https:// remotes: a token sent as the password (user "x-access-token"; GitHub and GitLab
  // accept any user name with a token).
  std::string https_token;
  // ssh:// remotes: called with the host (and port, "host:22") and the SHA-256 fingerprint of
  // the key it presented ("SHA256:…", as ssh-keygen -l prints it); an error refuses the
  // connection. Unset: every host key is refused.
  std::function<Result<void>(const std::string& host, const std::string& fingerprint)>
      check_host_key;
};

// The master's view of remotes: one bare repository per remote URL under `dir`, fetched one
// branch at a time. The cache is disposable: deleting it costs a fetch, not correctness.
// Thread safety: all members may be called concurrently; fetches of one remote are serialised.
class RepoCache {
public:
  explicit RepoCache(std::filesystem::path dir);
  ~RepoCache();
  RepoCache(const RepoCache&) = delete;
  RepoCache& operator=(const RepoCache&) = delete;

  // Fetches `branch` from `url` and returns its head commit (40 lower-case hex digits).
  Result<std::string> resolve_branch(const std::string& url, const std::string& branch,
                                     const Credentials& credentials);

  // Makes sure `commit` is in the cache (fetching the remote's branches when it is not yet)
  // and that it is a commit. Unknown → unprocessable "commit <sha> does not exist in <url>".
  Result<void> ensure_commit(const std::string& url, const std::string& commit,
                             const Credentials& credentials);

  // The contents of `path` (relative to the repository root) at `commit`, which must be in
  // the cache. Missing → unprocessable "<path> does not exist at commit <sha>".
  Result<std::string> read_file(const std::string& url, const std::string& commit,
                                const std::string& path);

private:
  // resolve_branch's work, under the remote's lock.
  Result<std::string> resolve_branch_locked(const std::string& url, const std::string& branch,
                                            const Credentials& credentials);

  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// How write_tar lays the entries out.
struct TarLayout {
  // Empty: entries relative to the directory. "workspace": under a first entry "workspace/"
  // for the directory itself, which then gets the owner below when Docker extracts the tar
  // in the directory's parent (an entry for "." would be skipped).
  std::string prefix;
  std::int64_t uid = 0; // every entry's owner
  std::int64_t gid = 0;
  // A Docker build context: what the directory's .dockerignore excludes is left out, but
  // never the .dockerignore itself nor this Dockerfile (a path in the directory), as the
  // docker CLI does.
  bool build_context = false;
  std::string dockerfile;
};

// The agent's copy of one commit: a bare repository in `dir` holding that commit.
// Thread safety: none; one per run.
class RunCheckout {
public:
  // Fetches exactly `commit` (by its id when the server allows it, else `branch` when given,
  // else every branch) from `url` into a new bare repository at `dir`. `keep_going` is asked
  // during the transfer; returning false stops it (the error says it was cancelled).
  static Result<RunCheckout> fetch(const std::filesystem::path& dir, const std::string& url,
                                   const std::string& commit, const std::string& branch,
                                   const Credentials& credentials,
                                   const std::function<bool()>& keep_going);
  RunCheckout(RunCheckout&&) noexcept;
  RunCheckout& operator=(RunCheckout&&) noexcept;
  ~RunCheckout();

  // The contents of a file at the commit. Missing → unprocessable naming the path.
  Result<std::string> read_file(const std::string& path) const;

  // The id of the tree or blob at `path` ("" or "." for the root): a content hash, equal
  // for equal contents whatever the commit.
  Result<std::string> object_id(const std::string& path) const;

  // Writes an uncompressed tar of the directory `path` at the commit ("" or "." for the
  // whole tree), file modes and symlinks kept, submodules skipped. Not a directory →
  // unprocessable naming the path.
  // Returns the content id of what it wrote: a SHA-256 over each entry's path, mode and blob
  // id, so that equal contents give equal ids whatever the commit (the tar's times differ).
  Result<std::string> write_tar(const std::string& path, const std::filesystem::path& tar_file,
                                const TarLayout& layout = {}) const;

private:
  struct Impl;
  explicit RunCheckout(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace cicd::git

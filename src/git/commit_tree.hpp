#pragma once
// Reading one commit's tree from a repository's object database: a file's contents, the id of
// a file or directory, a subtree. Nothing is checked out. Private to src/git.

#include "cicd/core/error.hpp"

#include "libgit2_handles.hpp"

#include <string>
#include <string_view>

namespace cicd::git {

// Files read whole into memory (a job's config file) may have at most this many bytes.
inline constexpr std::size_t k_max_read_size = 16 * 1024 * 1024;

// "./a//b/" → "a/b"; "", "." and "/" → "" (the root).
std::string normalized_path(std::string_view path);

// A commit id from its 40 hex digits (either case). Anything else → unprocessable naming it.
Result<git_oid> parse_commit_id(const std::string& text);

// Whether the object database holds `id`, as a commit or as something else.
enum class Presence { missing, commit, not_a_commit };
Result<Presence> find_object(git_repository* repository, const git_oid& id);

// Thread safety: none (libgit2 objects of one repository are not for concurrent use). The
// repository must outlive it.
class CommitTree {
public:
  // Missing → unprocessable "commit <sha> does not exist in <url>"; not a commit (a tree, a
  // tag) → unprocessable saying what it is.
  static Result<CommitTree> find(git_repository* repository, const git_oid& commit,
                                 const std::string& shown_url);

  // A regular file's contents. Missing, a directory, a symbolic link or a submodule →
  // unprocessable naming the path and the commit.
  Result<std::string> read_file(const std::string& path) const;
  // The id of the blob or tree at `path` ("" or "." for the root).
  Result<std::string> object_id(const std::string& path) const;
  // The directory at `path` ("" or "." for the root). Missing or not a directory →
  // unprocessable naming it.
  Result<TreePtr> directory(const std::string& path) const;

  git_repository* repository() const { return m_repository; }
  // The committer's time, seconds since the epoch.
  git_time_t time() const { return git_commit_time(m_commit.get()); }
  const std::string& sha() const { return m_sha; }

private:
  CommitTree(git_repository* repository, CommitPtr commit, TreePtr tree, std::string sha)
      : m_repository(repository), m_commit(std::move(commit)), m_tree(std::move(tree)),
        m_sha(std::move(sha)) {}
  // The entry at a non-root path; missing → unprocessable naming it.
  Result<TreeEntryPtr> entry(const std::string& path, const std::string& clean) const;

  git_repository* m_repository;
  CommitPtr m_commit;
  TreePtr m_tree;
  std::string m_sha;
};

} // namespace cicd::git

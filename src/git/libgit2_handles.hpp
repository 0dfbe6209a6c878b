#pragma once
// libgit2 behind the wall (STYLE.md): the library's one-time set-up, owners for its objects and
// the text of its last error. Private to src/git.

#include <git2.h>

#include <memory>
#include <string>

namespace cicd::git {

// Initialises libgit2 once per process; safe to call from any thread, cheap after the first.
// Every public entry point of the module calls it first.
void ensure_libgit2();

template <class T, void (*Free)(T*)>
struct Libgit2Free {
  void operator()(T* object) const { Free(object); }
};

using RepositoryPtr =
    std::unique_ptr<git_repository, Libgit2Free<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, Libgit2Free<git_remote, git_remote_free>>;
using ObjectPtr = std::unique_ptr<git_object, Libgit2Free<git_object, git_object_free>>;
using CommitPtr = std::unique_ptr<git_commit, Libgit2Free<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Libgit2Free<git_tree, git_tree_free>>;
using TreeEntryPtr =
    std::unique_ptr<git_tree_entry, Libgit2Free<git_tree_entry, git_tree_entry_free>>;
using BlobPtr = std::unique_ptr<git_blob, Libgit2Free<git_blob, git_blob_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Libgit2Free<git_reference, git_reference_free>>;
using OdbPtr = std::unique_ptr<git_odb, Libgit2Free<git_odb, git_odb_free>>;

// What libgit2 said about its last failure on this thread (trimmed), or `fallback`.
std::string last_error_text(const char* fallback = "unknown error");

// 40 lower-case hex digits.
std::string oid_hex(const git_oid& id);

} // namespace cicd::git

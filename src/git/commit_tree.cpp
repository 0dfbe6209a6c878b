#include "commit_tree.hpp"

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace cicd::git {
namespace {

Error broken_repository(const std::string& doing) {
  return make_error(
      ErrorCode::internal,
      doing + " failed: " + last_error_text() +
          "; the local git repository may be damaged (a cache may safely be deleted)");
}

// The size and type of an object, without reading it; nullopt when it is missing.
Result<std::optional<std::pair<std::size_t, git_object_t>>>
object_header(git_repository* repository, const git_oid& id) {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repository) != 0) {
    return broken_repository("opening the object database");
  }
  OdbPtr odb(raw_odb);
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  int code = git_odb_read_header(&size, &type, odb.get(), &id);
  if (code == GIT_ENOTFOUND) {
    return std::nullopt;
  }
  if (code != 0) {
    return broken_repository("reading object " + oid_hex(id));
  }
  return std::make_pair(size, type);
}

} // namespace

std::string normalized_path(std::string_view path) {
  std::string clean;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (part.empty() || part == ".") {
      continue;
    }
    if (!clean.empty()) {
      clean += '/';
    }
    clean += part;
  }
  return clean;
}

Result<git_oid> parse_commit_id(const std::string& text) {
  git_oid id;
  if (text.size() != GIT_OID_HEXSZ ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos ||
      git_oid_fromstr(&id, text.c_str()) != 0) {
    return make_error(ErrorCode::unprocessable,
                      "'" + text.substr(0, 80) +
                          "' is not a commit id: give all 40 hexadecimal digits");
  }
  return id;
}

Result<Presence> find_object(git_repository* repository, const git_oid& id) {
  auto header = object_header(repository, id);
  if (!header) {
    return header.error();
  }
  if (!*header) {
    return Presence::missing;
  }
  return (*header)->second == GIT_OBJECT_COMMIT ? Presence::commit : Presence::not_a_commit;
}

Result<CommitTree> CommitTree::find(git_repository* repository, const git_oid& commit,
                                    const std::string& shown_url) {
  auto sha = oid_hex(commit);
  git_object* raw = nullptr;
  int code = git_object_lookup(&raw, repository, &commit, GIT_OBJECT_ANY);
  if (code == GIT_ENOTFOUND) {
    return make_error(ErrorCode::unprocessable,
                      "commit " + sha + " does not exist in " + shown_url);
  }
  if (code != 0) {
    return broken_repository("reading commit " + sha);
  }
  ObjectPtr object(raw);
  if (git_object_type(object.get()) != GIT_OBJECT_COMMIT) {
    return make_error(ErrorCode::unprocessable,
                      fmt::format("{} in {} is a {}, not a commit", sha, shown_url,
                                  git_object_type2string(git_object_type(object.get()))));
  }
  CommitPtr commit_object(reinterpret_cast<git_commit*>(object.release()));
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit_object.get()) != 0) {
    return broken_repository("reading the tree of commit " + sha);
  }
  return CommitTree(repository, std::move(commit_object), TreePtr(tree), sha);
}

Result<TreeEntryPtr> CommitTree::entry(const std::string& path, const std::string& clean) const {
  git_tree_entry* raw = nullptr;
  int code = git_tree_entry_bypath(&raw, m_tree.get(), clean.c_str());
  if (code == GIT_ENOTFOUND) {
    return make_error(ErrorCode::unprocessable, path + " does not exist at commit " + m_sha);
  }
  if (code != 0) {
    return broken_repository("looking up " + path + " at commit " + m_sha);
  }
  return TreeEntryPtr(raw);
}

Result<std::string> CommitTree::read_file(const std::string& path) const {
  auto clean = normalized_path(path);
  if (clean.empty()) {
    return make_error(ErrorCode::unprocessable, "'" + path + "' is the root directory, not a file");
  }
  auto found = entry(path, clean);
  if (!found) {
    return found.error();
  }
  auto what = [&](const char* kind, const char* advice) {
    return make_error(ErrorCode::unprocessable,
                      fmt::format("{} is {} at commit {}{}", path, kind, m_sha, advice));
  };
  switch (git_tree_entry_filemode(found->get())) {
  case GIT_FILEMODE_TREE:
    return what("a directory", ", not a file");
  case GIT_FILEMODE_LINK:
    return what("a symbolic link", "; name the file it points to");
  case GIT_FILEMODE_COMMIT:
    return what("a submodule", ", not a file");
  default:
    break;
  }
  const git_oid* id = git_tree_entry_id(found->get());
  // The size first: a blob is read into memory whole.
  auto header = object_header(m_repository, *id);
  if (!header || !*header) {
    return header ? broken_repository("reading " + path + " at commit " + m_sha) : header.error();
  }
  if (auto size = (*header)->first; size > k_max_read_size) {
    return make_error(ErrorCode::unprocessable,
                      fmt::format("{} is {} bytes at commit {}; a file read here may have at "
                                  "most {} MiB",
                                  path, size, m_sha, k_max_read_size / (1024 * 1024)));
  }
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, m_repository, id) != 0) {
    return broken_repository("reading " + path + " at commit " + m_sha);
  }
  BlobPtr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

Result<std::string> CommitTree::object_id(const std::string& path) const {
  auto clean = normalized_path(path);
  if (clean.empty()) {
    return oid_hex(*git_tree_id(m_tree.get()));
  }
  auto found = entry(path, clean);
  if (!found) {
    return found.error();
  }
  return oid_hex(*git_tree_entry_id(found->get()));
}

Result<TreePtr> CommitTree::directory(const std::string& path) const {
  auto clean = normalized_path(path);
  git_tree* raw = nullptr;
  if (clean.empty()) {
    if (git_tree_dup(&raw, m_tree.get()) != 0) {
      return broken_repository("reading the tree of commit " + m_sha);
    }
    return TreePtr(raw);
  }
  auto found = entry(path, clean);
  if (!found) {
    return found.error();
  }
  if (git_tree_entry_type(found->get()) != GIT_OBJECT_TREE) {
    return make_error(ErrorCode::unprocessable, path + " is not a directory at commit " + m_sha);
  }
  if (git_tree_lookup(&raw, m_repository, git_tree_entry_id(found->get())) != 0) {
    return broken_repository("reading " + path + " at commit " + m_sha);
  }
  return TreePtr(raw);
}

} // namespace cicd::git

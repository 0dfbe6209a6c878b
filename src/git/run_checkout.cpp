// RunCheckout: the run's commit in a bare repository of its own, fetched through a ref that
// points at it when the remote advertises one, else by its id when the server allows it, else
// through its branch, else through every branch. libgit2 1.5 cannot fetch shallow (no depth):
// every fetch brings the whole history of what it names.

#include "cicd/git/repository.hpp"

#include "commit_tree.hpp"
#include "libgit2_handles.hpp"
#include "remote_connection.hpp"
#include "remote_session.hpp"
#include "tree_tar.hpp"

#include "cicd/core/log.hpp"

#include <optional>

namespace cicd::git {
namespace fs = std::filesystem;

struct RunCheckout::Impl {
  RepositoryPtr repository;
  std::optional<CommitTree> tree; // reads from `repository`, which outlives it here
};

namespace {

Result<RepositoryPtr> init_bare(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  git_repository* raw = nullptr;
  if (error || git_repository_init(&raw, dir.c_str(), 1) != 0) {
    return make_error(ErrorCode::internal,
                      "creating a git repository in " + dir.string() +
                          " failed: " + (error ? error.message() : last_error_text()));
  }
  return RepositoryPtr(raw);
}

bool has_commit(git_repository* repository, const git_oid& id) {
  auto presence = find_object(repository, id);
  return presence && *presence == Presence::commit;
}

// The fetches after a refused fetch by id: the branch when there is one, then every branch.
Result<void> fetch_through_branches(RemoteConnection& connection, git_repository* repository,
                                    const git_oid& id, const std::string& branch) {
  if (!branch.empty()) {
    auto ref_name = "refs/heads/" + branch;
    if (auto fetched =
            connection.fetch({"+" + ref_name + ":" + ref_name}, "fetching branch '" + branch + "'");
        !fetched) {
      return fetched;
    }
    if (has_commit(repository, id)) {
      return {};
    }
  }
  return connection.fetch({"+refs/heads/*:refs/heads/*"}, "fetching every branch");
}

} // namespace

Result<RunCheckout> RunCheckout::fetch(const std::filesystem::path& dir, const std::string& url,
                                       const std::string& commit, const std::string& branch,
                                       const Credentials& credentials,
                                       const std::function<bool()>& keep_going) {
  ensure_libgit2();
  auto id = parse_commit_id(commit);
  if (!id) {
    return id.error();
  }
  if (!branch.empty()) {
    if (auto ref_name = branch_ref_name(branch); !ref_name) {
      return ref_name.error();
    }
  }
  auto impl = std::make_unique<Impl>();
  auto repository = init_bare(dir);
  if (!repository) {
    return repository.error();
  }
  impl->repository = std::move(*repository);
  git_repository* raw = impl->repository.get();

  RemoteSession session(url, credentials, keep_going);
  auto connection = RemoteConnection::open(raw, session);
  if (!connection) {
    return connection.error();
  }
  auto sha = oid_hex(*id);
  auto doing = "fetching commit " + sha;
  auto preferred = branch.empty() ? std::string() : "refs/heads/" + branch;
  if (auto ref = connection->ref_pointing_at(*id, preferred)) {
    // A ref names it (a branch head, a tag, a pull request): no server support needed.
    if (auto fetched = connection->fetch({"+" + *ref + ":refs/cicd/run"}, doing); !fetched) {
      return fetched.error();
    }
  } else if (auto by_id = connection->fetch({"+" + sha + ":refs/cicd/run"}, doing); !by_id) {
    // Servers refuse an id no ref names unless they allow it (uploadpack.allowAnySHA1InWant
    // and friends); file:// always allows it.
    if (session.cancelled()) {
      return by_id.error();
    }
    log::info("git: {}; fetching {} instead", by_id.error().message,
              branch.empty() ? "every branch" : "branch '" + branch + "'");
    if (auto fetched = fetch_through_branches(*connection, raw, *id, branch); !fetched) {
      return fetched.error();
    }
  }
  auto tree = CommitTree::find(raw, *id, session.shown_url());
  if (!tree) {
    return tree.error();
  }
  auto received = connection->received();
  log::info("git: fetched commit {} from {}: {} objects, {} KiB", sha, session.shown_url(),
            received.received_objects, received.received_bytes / 1024);
  impl->tree.emplace(std::move(*tree));
  return RunCheckout(std::move(impl));
}

RunCheckout::RunCheckout(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RunCheckout::RunCheckout(RunCheckout&&) noexcept = default;
RunCheckout& RunCheckout::operator=(RunCheckout&&) noexcept = default;
RunCheckout::~RunCheckout() = default;

Result<std::string> RunCheckout::read_file(const std::string& path) const {
  return m_impl->tree->read_file(path);
}

Result<std::string> RunCheckout::object_id(const std::string& path) const {
  return m_impl->tree->object_id(path);
}

Result<std::string> RunCheckout::write_tar(const std::string& path,
                                           const std::filesystem::path& tar_file,
                                           const TarLayout& layout) const {
  auto directory = m_impl->tree->directory(path);
  if (!directory) {
    return directory.error();
  }
  return write_tree_tar(m_impl->repository.get(), directory->get(), m_impl->tree->time(), tar_file,
                        layout);
}

} // namespace cicd::git

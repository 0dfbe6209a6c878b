// RepoCache: one bare repository per remote under the cache dir, named by the SHA-256 of the
// remote's URL. Fetches of one remote are serialised by a mutex of its own; reads open the
// repository per call (a libgit2 repository object is not for concurrent use) and take no
// lock, so a warm cache answers while another request of the same remote fetches.
//
// Triggers of one branch that arrive together share one look at the remote: a request that
// waited for the lock takes the answer of a resolution that started after it arrived (as fresh
// as one of its own), so a burst of triggers costs one round trip, not one each.

#include "cicd/git/repository.hpp"

#include "commit_tree.hpp"
#include "libgit2_handles.hpp"
#include "remote_connection.hpp"
#include "remote_session.hpp"

#include "cicd/core/log.hpp"
#include "cicd/crypto/digest.hpp"

#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>

namespace cicd::git {
namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

// What a resolution of a branch answered, and when it started asking.
struct BranchAnswer {
  Clock::time_point started;
  Result<std::string> commit;
};

struct Remote {
  std::mutex fetch; // held while fetching, and to read or write `answers`
  // By branch and credentials: a request never gets an answer made with others' credentials.
  std::map<std::string, BranchAnswer> answers;
};

struct RepoCache::Impl {
  fs::path dir;
  std::mutex remotes_guard;
  std::map<std::string, Remote> remotes; // by URL; nodes never move nor go away

  Remote& remote(const std::string& url) {
    std::lock_guard lock(remotes_guard);
    return remotes[url];
  }
  std::mutex& fetch_mutex(const std::string& url) { return remote(url).fetch; }

  fs::path repository_dir(const std::string& url) const { return dir / crypto::sha256_hex(url); }
};

namespace {

std::optional<RepositoryPtr> open_bare(const fs::path& path) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, path.c_str()) != 0) {
    return std::nullopt;
  }
  return RepositoryPtr(raw);
}

Error cache_failure(const std::string& doing, const fs::path& path, const std::string& reason) {
  return make_error(ErrorCode::internal, doing + " the git cache " + path.string() + " failed: " +
                                             reason + "; check that its directory is writable");
}

// Opens the cache of one remote, making it when it is missing or cannot be opened (the cache
// is disposable). The caller holds the remote's fetch mutex.
Result<RepositoryPtr> open_or_create(const fs::path& path, const std::string& shown_url) {
  if (auto repository = open_bare(path)) {
    return std::move(*repository);
  }
  std::error_code error;
  if (fs::exists(path, error)) {
    log::warn("the git cache {} of {} cannot be opened ({}); making it again", path.string(),
              shown_url, last_error_text());
    if (fs::remove_all(path, error); error) {
      return cache_failure("removing", path, error.message());
    }
  }
  // Made under another name and renamed into place: a reader that takes no lock never opens
  // a half-made repository.
  auto temporary = path;
  temporary += ".new-" + std::to_string(::getpid());
  fs::remove_all(temporary, error);
  fs::create_directories(path.parent_path(), error);
  git_repository* raw = nullptr;
  if (git_repository_init(&raw, temporary.c_str(), 1) != 0) {
    return cache_failure("creating", temporary, last_error_text());
  }
  git_repository_free(raw);
  if (fs::rename(temporary, path, error); error) {
    fs::remove_all(temporary, error);
    if (auto repository = open_bare(path)) {
      return std::move(*repository); // another process made it at the same moment
    }
    return cache_failure("creating", path, error.message());
  }
  if (auto repository = open_bare(path)) {
    return std::move(*repository);
  }
  return cache_failure("opening", path, last_error_text());
}

void log_received(const RemoteConnection& connection, const std::string& what,
                  const std::string& shown_url) {
  auto received = connection.received();
  log::info("git cache: fetched {} from {}: {} objects, {} KiB", what, shown_url,
            received.received_objects, received.received_bytes / 1024);
}

} // namespace

RepoCache::RepoCache(std::filesystem::path dir) : m_impl(std::make_unique<Impl>()) {
  m_impl->dir = std::move(dir);
}

RepoCache::~RepoCache() = default;

Result<std::string> RepoCache::resolve_branch(const std::string& url, const std::string& branch,
                                              const Credentials& credentials) {
  ensure_libgit2();
  auto arrived = Clock::now();
  auto& remote = m_impl->remote(url);
  auto key = branch + '\n' +
             crypto::sha256_hex(credentials.ssh_public_key + '\n' + credentials.https_token);
  std::lock_guard lock(remote.fetch);
  if (auto it = remote.answers.find(key);
      it != remote.answers.end() && it->second.started >= arrived) {
    return it->second.commit;
  }
  auto started = Clock::now();
  auto commit = resolve_branch_locked(url, branch, credentials);
  std::erase_if(remote.answers, [&](const auto& entry) {
    return started - entry.second.started > std::chrono::seconds(10); // nobody waits that long
  });
  remote.answers.insert_or_assign(key, BranchAnswer{started, commit});
  return commit;
}

Result<std::string> RepoCache::resolve_branch_locked(const std::string& url,
                                                     const std::string& branch,
                                                     const Credentials& credentials) {
  auto ref_name = branch_ref_name(branch);
  if (!ref_name) {
    return ref_name.error();
  }
  RemoteSession session(url, credentials, {});
  auto repository = open_or_create(m_impl->repository_dir(url), session.shown_url());
  if (!repository) {
    return repository.error();
  }
  auto connection = RemoteConnection::open(repository->get(), session);
  if (!connection) {
    return connection.error();
  }
  auto head = connection->find(*ref_name);
  if (!head) {
    return make_error(ErrorCode::unprocessable,
                      "branch '" + branch + "' does not exist in " + session.shown_url());
  }
  auto presence = find_object(repository->get(), *head);
  if (presence && *presence == Presence::missing) {
    auto what = "branch '" + branch + "'";
    if (auto fetched = connection->fetch({"+" + *ref_name + ":" + *ref_name}, "fetching " + what);
        !fetched) {
      return fetched.error();
    }
    log_received(*connection, what, session.shown_url());
    presence = find_object(repository->get(), *head);
  } else if (presence) {
    // Already here (another branch has it): only the local ref moves, for later negotiations.
    git_reference* raw = nullptr;
    if (git_reference_create(&raw, repository->get(), ref_name->c_str(), &*head, 1, nullptr) == 0) {
      ReferencePtr moved(raw); // best effort: a stale ref costs a larger fetch, nothing more
    }
  }
  if (!presence) {
    return presence.error();
  }
  if (*presence != Presence::commit) {
    return make_error(ErrorCode::bad_gateway, session.shown_url() + " did not send commit " +
                                                  oid_hex(*head) + " of branch '" + branch + "'");
  }
  return oid_hex(*head);
}

Result<void> RepoCache::ensure_commit(const std::string& url, const std::string& commit,
                                      const Credentials& credentials) {
  ensure_libgit2();
  auto id = parse_commit_id(commit);
  if (!id) {
    return id.error();
  }
  auto path = m_impl->repository_dir(url);
  auto shown_url = parse_remote_url(url).shown;
  auto known = [&](git_repository* repository) -> Result<bool> {
    auto found = CommitTree::find(repository, *id, shown_url);
    if (found) {
      return true;
    }
    auto presence = find_object(repository, *id);
    if (presence && *presence == Presence::missing) {
      return false;
    }
    return found.error(); // not a commit, or a broken repository
  };
  // The warm path: no lock, no network.
  if (auto repository = open_bare(path)) {
    auto here = known(repository->get());
    if (!here || *here) {
      return here ? Result<void>() : Result<void>(here.error());
    }
  }
  RemoteSession session(url, credentials, {});
  std::lock_guard lock(m_impl->fetch_mutex(url));
  auto repository = open_or_create(path, shown_url);
  if (!repository) {
    return repository.error();
  }
  // Another request may have fetched it while this one waited for the lock.
  if (auto here = known(repository->get()); !here || *here) {
    return here ? Result<void>() : Result<void>(here.error());
  }
  auto connection = RemoteConnection::open(repository->get(), session);
  if (!connection) {
    return connection.error();
  }
  // A ref that points at it (a branch head, a tag, a pull request's head) brings only what
  // it needs; else every branch, which has it when it is in the branches' history.
  auto ref = connection->ref_pointing_at(*id);
  auto refspec = ref ? "+" + *ref + ":" + *ref : std::string("+refs/heads/*:refs/heads/*");
  auto what = ref ? *ref : std::string("every branch");
  if (auto fetched = connection->fetch({refspec}, "fetching " + what); !fetched) {
    return fetched.error();
  }
  log_received(*connection, what, shown_url);
  auto here = known(repository->get());
  if (!here) {
    return here.error();
  }
  if (!*here) {
    return make_error(ErrorCode::unprocessable, "commit " + oid_hex(*id) + " does not exist in " +
                                                    shown_url + " (on any of its branches)");
  }
  return {};
}

Result<std::string> RepoCache::read_file(const std::string& url, const std::string& commit,
                                         const std::string& path) {
  ensure_libgit2();
  auto id = parse_commit_id(commit);
  if (!id) {
    return id.error();
  }
  auto shown_url = parse_remote_url(url).shown;
  auto repository = open_bare(m_impl->repository_dir(url));
  if (!repository) {
    return make_error(ErrorCode::internal, "the git cache of " + shown_url +
                                               " is gone or broken; call ensure_commit first");
  }
  auto tree = CommitTree::find(repository->get(), *id, shown_url);
  if (!tree) {
    return tree.error();
  }
  return tree->read_file(path);
}

} // namespace cicd::git

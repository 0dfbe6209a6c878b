#include "remote_connection.hpp"

namespace cicd::git {

Result<std::string> branch_ref_name(const std::string& branch) {
  auto name = "refs/heads/" + branch;
  int valid = 0;
  if (branch.empty() || git_reference_name_is_valid(&valid, name.c_str()) != 0 || valid == 0) {
    return make_error(ErrorCode::unprocessable, "'" + branch + "' is not a valid branch name");
  }
  return name;
}

Result<RemoteConnection> RemoteConnection::open(git_repository* repository,
                                                RemoteSession& session) {
  // Anonymous (in memory) and without url.*.insteadOf: the host's git config must not rewrite
  // a job's URL. (Reading insteadOf also leaks pcre2 match data in libgit2 1.5, ~250 KB a
  // remote.)
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = repository;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw = nullptr;
  if (git_remote_create_with_opts(&raw, session.url().c_str(), &options) != 0) {
    return make_error(ErrorCode::unprocessable, "not a git remote URL: " + session.shown_url() +
                                                    " (" + session.scrubbed(last_error_text()) +
                                                    ")");
  }
  RemoteConnection connection(RemotePtr(raw), session);
  if (!session.keep_going()) {
    return session.failure(GIT_EUSER, "");
  }
  auto callbacks = session.callbacks();
  git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
  if (int code = git_remote_connect(connection.m_remote.get(), GIT_DIRECTION_FETCH, &callbacks,
                                    &proxy, nullptr);
      code != 0) {
    return session.failure(code, "");
  }
  const git_remote_head** heads = nullptr;
  std::size_t count = 0;
  if (int code = git_remote_ls(&heads, &count, connection.m_remote.get()); code != 0) {
    return session.failure(code, "");
  }
  connection.m_refs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    connection.m_refs.push_back({heads[i]->name, heads[i]->oid});
  }
  return connection;
}

std::optional<git_oid> RemoteConnection::find(const std::string& ref_name) const {
  for (const auto& ref : m_refs) {
    if (ref.name == ref_name) {
      return ref.id;
    }
  }
  return std::nullopt;
}

std::optional<std::string> RemoteConnection::ref_pointing_at(const git_oid& id,
                                                             const std::string& preferred) const {
  constexpr std::string_view k_peeled = "^{}";
  std::optional<std::string> branch;
  std::optional<std::string> other;
  for (const auto& ref : m_refs) {
    if (git_oid_equal(&ref.id, &id) == 0 || ref.name == "HEAD") {
      continue;
    }
    auto name = ref.name;
    if (name.ends_with(k_peeled)) {
      name.resize(name.size() - k_peeled.size());
    }
    if (name == preferred) {
      return name;
    }
    auto& slot = name.starts_with("refs/heads/") ? branch : other;
    if (!slot) {
      slot = name;
    }
  }
  return branch ? branch : other;
}

Result<void> RemoteConnection::fetch(const std::vector<std::string>& refspecs,
                                     const std::string& doing) {
  if (m_fetched) {
    // The server may have closed the conversation after a failed negotiation: start afresh.
    git_remote_disconnect(m_remote.get());
  }
  m_fetched = true;
  if (!m_session->keep_going()) {
    return m_session->failure(GIT_EUSER, doing);
  }
  std::vector<char*> specs;
  specs.reserve(refspecs.size());
  for (const auto& refspec : refspecs) {
    specs.push_back(const_cast<char*>(refspec.c_str())); // libgit2 only reads them
  }
  git_strarray array{specs.data(), specs.size()};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = m_session->callbacks();
  options.prune = GIT_FETCH_NO_PRUNE;
  options.update_fetchhead = 0;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  if (int code = git_remote_fetch(m_remote.get(), &array, &options, "cicd fetch"); code != 0) {
    return m_session->failure(code, doing);
  }
  return {};
}

git_indexer_progress RemoteConnection::received() const {
  const git_indexer_progress* stats = git_remote_stats(m_remote.get());
  return stats != nullptr ? *stats : git_indexer_progress{};
}

} // namespace cicd::git

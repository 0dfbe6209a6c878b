#include "git_revision.hpp"

#include "request_helpers.hpp"

#include "cicd/config/repo_config.hpp"
#include "cicd/git/job_credentials.hpp"

#include <fmt/format.h>

namespace cicd::master {

GitRevision resolve_git_revision(const ApiDependencies& deps, const std::string& job,
                                 const model::GitSource& source, const model::Trigger& trigger) {
  auto credentials = value_or_throw(git::job_credentials(deps.store, deps.secret_box, job, source));
  GitRevision revision;
  if (trigger.branch_name.empty()) {
    value_or_throw(deps.repo_cache.ensure_commit(source.repo_url, trigger.commit_sha, credentials));
    revision.commit_sha = trigger.commit_sha;
  } else {
    revision.commit_sha = value_or_throw(
        deps.repo_cache.resolve_branch(source.repo_url, trigger.branch_name, credentials));
  }
  auto text = deps.repo_cache.read_file(source.repo_url, revision.commit_sha, source.config_path);
  if (!text) {
    if (text.error().code == ErrorCode::unprocessable) {
      throw ErrorException(make_error(
          ErrorCode::unprocessable,
          fmt::format("the job's config file {} does not exist at commit {}: add it to the "
                      "repository, or point the job's configPath at the right file",
                      source.config_path, revision.commit_sha),
          "configPath"));
    }
    throw ErrorException(text.error());
  }
  revision.spec =
      value_or_throw(config::parse_repo_config(*text, source.config_path, source.entry));
  return revision;
}

} // namespace cicd::master

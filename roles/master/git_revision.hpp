#pragma once
// What a git job's trigger runs: the commit (the branch resolved now, so that the run is
// reproducible) and the repository's config file as parsed at that commit.

#include "api.hpp"

#include "cicd/model/job.hpp"
#include "cicd/model/run.hpp"

#include <string>

namespace cicd::master {

struct GitRevision {
  std::string commit_sha;
  model::RunSpec spec;
};

// Throws ErrorException: unprocessable for an unknown branch or commit or a config file that is
// missing or invalid (the parser's message, with its line), bad_gateway when the remote fails.
GitRevision resolve_git_revision(const ApiDependencies& deps, const std::string& job,
                                 const model::GitSource& source, const model::Trigger& trigger);

} // namespace cicd::master

#pragma once
// The repository's config file (default .cicd.yml, docs/config.md): how a git job runs — its
// image (a Dockerfile of the project's own, or an image name), script, services, required
// secret names, timeout, resource class and results. Never its inputs: parameters belong to
// the job in the API. The schema is the one of a freestyle job's spec (model::RunSpec).

#include "cicd/core/error.hpp"
#include "cicd/model/run_spec.hpp"

#include <cstddef>
#include <string_view>

namespace cicd::config {

// Past this many nodes after anchors and aliases are expanded, a file is refused: a few
// lines of nested aliases can otherwise stand for billions of nodes.
inline constexpr std::size_t k_max_repo_config_nodes = 100'000;

// Parses `yaml` (the contents of `file_name` in the repository) and returns the spec of one
// job. A file is either one job (its keys at the top level) or several under `jobs:`, in which
// case `entry` names the one wanted; an empty `entry` asks for the only job in the file.
// Errors are ErrorCode::unprocessable, the message starting "<file_name>:<line>:" and naming
// the key path ("services.db.image"), also put in Error::field.
Result<model::RunSpec> parse_repo_config(std::string_view yaml, std::string_view file_name,
                                         std::string_view entry);

} // namespace cicd::config

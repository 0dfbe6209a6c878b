#pragma once
// Rules for the names users choose: job names, environment-style names (parameters, secrets,
// env), git refs and commit ids. Each check returns an Error naming `field` and the rule.

#include "cicd/core/error.hpp"

#include <string_view>

namespace cicd::model {

// [a-z0-9][a-z0-9._-]{0,63}: safe in a URL path, a file name and a Docker label.
Result<void> check_job_name(std::string_view name, std::string_view field = "name");

// [A-Za-z_][A-Za-z0-9_]{0,127}, and not reserved (PATH, HOME, HOSTNAME, CICD_*): names that
// become container environment variables.
Result<void> check_env_name(std::string_view name, std::string_view field);

// 40 hexadecimal digits.
bool is_commit_sha(std::string_view text);

// A git branch name as `git check-ref-format --branch` accepts it, at most 255 bytes.
Result<void> check_branch_name(std::string_view name, std::string_view field = "branchName");

// [a-z0-9][a-z0-9_-]{0,63}: resource classes, service and result names.
Result<void> check_simple_name(std::string_view name, std::string_view field);

} // namespace cicd::model

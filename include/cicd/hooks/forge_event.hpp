#pragma once
// What a hook delivered, read from a forge's payload once its signature was checked: the
// event, and for a pull request (merge request) or a push the repository, the commit and the
// branches that decide which jobs run.

#include "cicd/core/error.hpp"
#include "cicd/model/forge_trigger.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::hooks {

struct ForgeEvent {
  enum class Kind { ping, pull_request, push, other };
  Kind kind = Kind::other;
  std::string name;       // as the run's trigger records it: "pull_request", "merge_request", …
  std::string action;     // pull requests: "opened", "synchronize", … (GitLab: "open", …)
  std::string repository; // the base repository, "owner/name"
  std::string project_id; // GitLab: the base project's id
  bool from_fork = false; // the pull request's head lives in another repository
  std::optional<std::int64_t> number;
  std::string head_sha;
  std::string head_branch; // pushes: the branch pushed; empty for a tag or a deletion
  std::string base_branch;
  std::string sender;
};

// `event` is the X-GitHub-Event header. invalid_input naming the field when the payload lacks
// what the event needs.
Result<ForgeEvent> parse_github_event(std::string_view event, std::string_view body);
// `event` is the X-Gitlab-Event header ("Merge Request Hook", "Push Hook", …).
Result<ForgeEvent> parse_gitlab_event(std::string_view event, std::string_view body);

// Why `trigger` does not start a run for `event` ("action 'closed' is not watched"), or an
// empty string when it does. Forks are the caller's to check (model::ForgeTrigger::allow_forks).
std::string unwatched_reason(const model::ForgeTrigger& trigger, const ForgeEvent& event);

} // namespace cicd::hooks

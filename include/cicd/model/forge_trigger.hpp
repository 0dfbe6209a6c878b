#pragma once
// A job's subscription to a forge's hooks: "triggers": {"github": {…}, "gitlab": {…}}.
//   connection   the integration (/integrations/{forge}/{connection}) whose hook delivers
//   repository   "owner/name" (GitLab: the project's path with namespace), case-insensitive
//   pullRequest  {"actions": [...]}: the pull request (merge request) actions that start a
//                run; default opened, synchronize, reopened (GitLab: open, update, reopen);
//                an empty list watches none
//   push         {"branches": [...]}: patterns of the branches whose pushes start a run ('*'
//                matches any run of characters, '/' included); absent or empty: none
//   allowForks   whether a pull request from another repository (a fork) starts a run: off
//                by default, since a fork's code would then run with the job's secrets

#include "cicd/model/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::model {

struct ForgeTrigger {
  std::string connection;
  std::string repository;
  std::vector<std::string> pull_request_actions;
  std::vector<std::string> push_branches;
  bool allow_forks = false;
  bool operator==(const ForgeTrigger&) const = default;
};

struct JobTriggers {
  std::optional<ForgeTrigger> github;
  std::optional<ForgeTrigger> gitlab;
  bool operator==(const JobTriggers&) const = default;
  bool empty() const { return !github && !gitlab; }
};

// Reads the "triggers" member; throws ErrorException (invalid_input naming the field).
JobTriggers read_job_triggers(const rapidjson::Value& value);
// Writes "triggers": {…} with every default spelled out.
void write_job_triggers(JsonWriter& writer, const JobTriggers& triggers);

// Whether `text` matches the branch `pattern` ('*': any run of characters).
bool branch_matches(std::string_view pattern, std::string_view text);

} // namespace cicd::model

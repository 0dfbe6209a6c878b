#pragma once
// A job: what the API stores under /jobs/{name}. A git job points at a repository whose
// config file says how it runs; a freestyle job carries the whole RunSpec itself.
// Typed input parameters belong to the job, never to the repository.

#include "cicd/core/error.hpp"
#include "cicd/model/forge_trigger.hpp"
#include "cicd/model/run_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cicd::model {

enum class JobType { git, freestyle };

enum class ParameterType { string, boolean, integer, choice };

using ParameterValue = std::variant<std::string, bool, std::int64_t>;

struct ParameterDef {
  std::string name;
  ParameterType type = ParameterType::string;
  std::optional<ParameterValue> default_value;
  bool required = false;
  std::vector<std::string> choices; // for ParameterType::choice
  std::string description;
  bool operator==(const ParameterDef&) const = default;
};

struct GitSource {
  std::string repo_url;
  std::string config_path = ".cicd.yml";
  std::string entry; // a named job in a config file that defines several; empty: the only one
  // https:// remotes of private repositories: the name of the job secret holding an access
  // token. ssh:// remotes use the job's deploy key (POST /jobs/{job}/ssh-key) instead.
  std::string credential_secret;
  bool operator==(const GitSource&) const = default;
};

inline constexpr int k_max_infrastructure_retries = 5;

// Labels: string pairs that tools managing jobs read back (`cicd ctl apply` marks its jobs with
// cicd.io/managed-by and cicd.io/apply-set). The rules are Kubernetes': a key is
// [PREFIX/]NAME, PREFIX a lower-case DNS subdomain of at most 253 bytes, NAME 1 to 63 of
// A-Z, a-z, 0-9, '.', '_' and '-' beginning and ending with a letter or digit; a value is
// empty or follows the NAME rule. At most k_max_labels per job.
inline constexpr std::size_t k_max_labels = 64;
inline constexpr std::size_t k_max_label_name = 63;
inline constexpr std::size_t k_max_label_prefix = 253;
inline constexpr std::size_t k_max_label_value = 63;

struct JobDefinition {
  std::string description;
  std::variant<GitSource, RunSpec> source; // GitSource ⇔ JobType::git
  std::vector<ParameterDef> parameters;
  // "retry": {"onInfrastructureError": N}: a run that errors for an infrastructure reason
  // (agent lost, Docker down) is run again up to N times. Off by default: a deployment may
  // not be safe to repeat.
  int retries_on_infrastructure_error = 0;
  // Days a finished run's console and results are kept, overriding the global setting.
  std::optional<std::int64_t> result_retention_days;
  std::map<std::string, std::string> labels;
  // Forge hooks that start runs of this job (forge_trigger.hpp).
  JobTriggers triggers;
  bool operator==(const JobDefinition&) const = default;

  JobType type() const {
    return std::holds_alternative<GitSource>(source) ? JobType::git : JobType::freestyle;
  }
};

std::string_view to_string(JobType type);

// The label rules above; errors are ErrorCode::invalid_input naming `field`.
Result<void> check_label_key(std::string_view key, std::string_view field);
Result<void> check_label_value(std::string_view value, std::string_view field);

// Parses a PUT /jobs/{name} body. Errors are ErrorCode::invalid_input naming the field.
Result<JobDefinition> parse_job_definition(std::string_view json);

// The canonical JSON of a definition (stable member order), as stored and as served. "labels"
// is there only when there are some, so a job without labels keeps the ETag it had before
// labels existed.
std::string to_canonical_json(const JobDefinition& definition);

// Checks trigger parameters (a JSON object, or null for none) against the definitions and
// returns the canonical JSON object with defaults filled in. Errors name "parameters.X".
Result<std::string> resolve_parameters(const std::vector<ParameterDef>& definitions,
                                       const rapidjson::Value* given);

} // namespace cicd::model

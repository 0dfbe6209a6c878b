#include "run_steps.hpp"

#include "cicd/model/json.hpp"

namespace cicd::executor {

std::vector<std::string> job_environment(const model::Run& run, const model::RunSpec& spec,
                                         const std::map<std::string, std::string>& secrets) {
  // Later entries win in Docker, so the run's own facts come last and cannot be overridden.
  std::vector<std::string> env;
  for (const auto& [name, value] : spec.env) {
    env.push_back(name + "=" + value);
  }
  rapidjson::Document parameters;
  parameters.Parse(run.parameters_json.data(), run.parameters_json.size());
  if (parameters.IsObject()) {
    for (const auto& member : parameters.GetObject()) {
      std::string value;
      if (member.value.IsString()) {
        value.assign(member.value.GetString(), member.value.GetStringLength());
      } else if (member.value.IsBool()) {
        value = member.value.GetBool() ? "true" : "false";
      } else if (member.value.IsInt64()) {
        value = std::to_string(member.value.GetInt64());
      }
      env.push_back(std::string(member.name.GetString(), member.name.GetStringLength()) + "=" +
                    value);
    }
  }
  for (const auto& [name, value] : secrets) {
    env.push_back(name + "=" + value);
  }
  env.push_back("CI=true");
  env.push_back("CICD_RUN_ID=" + std::to_string(run.id));
  env.push_back("CICD_JOB=" + run.job);
  // A git run's commit is the one it executes, also when its trigger named a branch.
  env.push_back("CICD_COMMIT_SHA=" +
                (run.commit_sha.empty() ? run.trigger.commit_sha : run.commit_sha));
  env.push_back("CICD_BRANCH=" + run.trigger.branch_name);
  return env;
}

} // namespace cicd::executor

// POST /jobs/{name}/runs bodies and their "parameters" (model::resolve_parameters), against
// the parameters of a job definition. The input is the job definition, a NUL byte, then the
// trigger body; a definition that is refused is replaced by one with a parameter of each type.
// Beyond not crashing: resolved parameters are a JSON object naming only defined parameters,
// and resolving them again (what a rerun does) gives the same text.

#include "cicd/model/job.hpp"
#include "cicd/model/names.hpp"

#include "fuzz_support.hpp"

#include <algorithm>

namespace {

const cicd::model::JobDefinition& fallback_definition() {
  static const auto definition = cicd::model::parse_job_definition(R"({
    "type": "freestyle", "image": "debian:12", "script": "true",
    "parameters": {
      "NAME": {"type": "string", "default": "world"},
      "DEBUG": {"type": "bool", "default": false},
      "COUNT": {"type": "integer", "required": true},
      "ENV": {"type": "choice", "choices": ["dev", "prod"], "default": "dev"}
    }})");
  if (!definition) {
    cicd::fuzz::fail("the fallback definition is refused: " + definition.error().message);
  }
  return *definition;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cicd;
  fuzz::Input input(data, size);
  auto parsed = model::parse_job_definition(input.until('\0'));
  const auto& definition = parsed ? *parsed : fallback_definition();
  auto body = model::parse_json_object(input.rest());
  if (!body) {
    return 0;
  }
  // The members runs_routes.cpp reads before the parameters.
  if (const auto* sha = model::find_member(*body, "commitSha"); sha && sha->IsString()) {
    std::string_view text(sha->GetString(), sha->GetStringLength());
    bool hex = text.size() == 40 && std::all_of(text.begin(), text.end(), [](char c) {
                 return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
               });
    fuzz::check(model::is_commit_sha(text) == hex, "is_commit_sha disagrees with its rule");
  }
  if (const auto* branch = model::find_member(*body, "branchName"); branch && branch->IsString()) {
    (void)model::check_branch_name({branch->GetString(), branch->GetStringLength()});
  }
  auto resolved =
      model::resolve_parameters(definition.parameters, model::find_member(*body, "parameters"));
  if (!resolved) {
    fuzz::check(resolved.error().code == ErrorCode::invalid_input &&
                    resolved.error().field.starts_with("parameters"),
                "a refused parameter is not invalid_input naming parameters");
    return 0;
  }
  auto document = model::parse_json_object(*resolved);
  if (!document) {
    fuzz::fail("resolved parameters are not a JSON object: " + *resolved);
  }
  for (const auto& member : document->GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    fuzz::check(std::any_of(definition.parameters.begin(), definition.parameters.end(),
                            [&](const auto& def) { return def.name == name; }),
                "resolved parameters name an undefined parameter: " + *resolved);
  }
  auto again = model::resolve_parameters(definition.parameters, &*document);
  fuzz::check(again && *again == *resolved,
              "resolving resolved parameters changes them: " + *resolved);
  return 0;
}

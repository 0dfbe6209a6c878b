// PUT /jobs/{name} bodies (model::parse_job_definition). Beyond not crashing: an accepted
// definition's canonical JSON (what is stored and served) is accepted again as the same
// definition and is a fixed point, and resolving its parameters with no values given either
// works or names a parameter.

#include "cicd/model/job.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cicd;
  auto definition = model::parse_job_definition(fuzz::as_text(data, size));
  if (!definition) {
    fuzz::check(definition.error().code == ErrorCode::invalid_input,
                "a refused definition is not invalid_input");
    return 0;
  }
  auto canonical = model::to_canonical_json(*definition);
  auto again = model::parse_job_definition(canonical);
  if (!again) {
    fuzz::fail("the canonical JSON of an accepted definition is refused: " + again.error().field +
               ": " + again.error().message + "\n" + canonical);
  }
  fuzz::check(*again == *definition,
              "the canonical JSON reads back as another definition:\n" + canonical);
  fuzz::check(model::to_canonical_json(*again) == canonical,
              "the canonical JSON is not a fixed point:\n" + canonical);
  auto defaults = model::resolve_parameters(definition->parameters, nullptr);
  fuzz::check(defaults || defaults.error().field.starts_with("parameters."),
              "resolving the defaults failed without naming a parameter");
  return 0;
}

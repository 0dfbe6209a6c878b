// The repository's config file (config::parse_repo_config over yaml-cpp and yaml_to_json),
// which anyone who can push to a watched repository writes. The input is the entry name (a
// first line of at most 64 bytes, possibly empty), then the YAML. Beyond not crashing or
// hanging (aliases are bounded): a refusal is unprocessable and starts ".cicd.yml:<line>: ",
// and an accepted spec's JSON (what a git run stores) reads back as the same spec.

#include "cicd/config/repo_config.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cicd;
  fuzz::Input input(data, size);
  auto text = fuzz::as_text(data, size);
  auto newline = text.find('\n');
  std::string_view entry;
  if (newline != std::string_view::npos && newline <= 64) {
    entry = input.until('\n');
  }
  auto yaml = input.rest();
  auto spec = config::parse_repo_config(yaml, ".cicd.yml", entry);
  if (!spec) {
    const auto& error = spec.error();
    fuzz::check(error.code == ErrorCode::unprocessable, "a refusal is not unprocessable");
    fuzz::check(error.message.starts_with(".cicd.yml:"),
                "a refusal does not say where: " + error.message);
    return 0;
  }
  auto json = model::to_json(*spec);
  auto again = model::parse_run_spec_json(json);
  if (!again) {
    fuzz::fail("the stored JSON of an accepted config is refused: " + again.error().field + ": " +
               again.error().message + "\n" + json);
  }
  fuzz::check(*again == *spec, "the stored JSON of a config reads back otherwise:\n" + json);
  return 0;
}

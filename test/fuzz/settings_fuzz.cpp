// Settings bodies: PUT /settings ({"umbrellaTimeout": "2h", "consoleLimitMiB": 100,
// "resultRetentionDays": 30}, read by roles/master/settings_routes.cpp with the model readers
// called here) and PUT /settings/resource-classes/{name} (model::parse_resource_class). The
// input is the class name, a NUL byte, then the body. Beyond not crashing: an accepted
// resource class is within its documented bounds and its canonical JSON reads back as itself.

#include "cicd/model/duration.hpp"
#include "cicd/model/resource_class.hpp"

#include "fuzz_support.hpp"

namespace {

void read_settings_members(const rapidjson::Document& document) {
  using namespace cicd;
  try {
    model::reject_unknown_members(
        document, {"umbrellaTimeout", "consoleLimitMiB", "resultRetentionDays"}, "");
    if (const auto* value = model::find_member(document, "umbrellaTimeout")) {
      auto text = model::read_string(*value, "umbrellaTimeout");
      auto duration = model::parse_duration(text, "umbrellaTimeout");
      fuzz::check(!duration || (duration->count() > 0 && *duration <= std::chrono::hours(24 * 7)),
                  "an accepted duration is out of bounds: " + text);
    }
    for (const char* name : {"consoleLimitMiB", "resultRetentionDays"}) {
      if (const auto* value = model::find_member(document, name); value && !value->IsNull()) {
        (void)model::read_integer(*value, name);
      }
    }
  } catch (const ErrorException& e) {
    // The field is named; it is "" only for a member whose name is "" ({"": 0}).
    fuzz::check(e.error().code == ErrorCode::invalid_input &&
                    (!e.error().field.empty() || document.HasMember("")),
                "a refused setting does not name its field");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cicd;
  fuzz::Input input(data, size);
  auto name = input.until('\0');
  auto body = input.rest();
  if (auto document = model::parse_json_object(body)) {
    read_settings_members(*document);
  }
  auto resource_class = model::parse_resource_class(name, body);
  if (!resource_class) {
    fuzz::check(resource_class.error().code == ErrorCode::invalid_input,
                "a refused resource class is not invalid_input");
    return 0;
  }
  fuzz::check(resource_class->name == name, "the class has another name");
  fuzz::check(resource_class->cpus >= model::k_min_class_cpus &&
                  resource_class->cpus <= model::k_max_class_cpus &&
                  resource_class->memory_mib >= model::k_min_class_memory_mib &&
                  resource_class->memory_mib <= model::k_max_class_memory_mib,
              "an accepted resource class is out of bounds");
  (void)resource_class->nano_cpus();
  (void)model::describe_limits(*resource_class);
  auto canonical = model::to_canonical_json(*resource_class);
  auto again = model::parse_resource_class(name, canonical);
  fuzz::check(again && *again == *resource_class,
              "the canonical JSON of a resource class reads back otherwise: " + canonical);
  return 0;
}

#include "cicd/model/resource_class.hpp"

#include "cicd/model/names.hpp"

#include <fmt/format.h>

#include <cmath>

namespace cicd::model {
namespace {

// A whole number of CPUs is written "2", not "2.0".
void write_cpus(JsonWriter& writer, double cpus) {
  if (std::floor(cpus) == cpus) {
    writer.Int64(static_cast<std::int64_t>(cpus));
  } else {
    writer.Double(cpus);
  }
}

double read_cpus(const rapidjson::Value& value) {
  if (!value.IsNumber()) {
    read_integer(value, "cpus"); // throws the type error ("must be an integer, not a string")
  }
  double cpus = value.GetDouble();
  if (!(cpus >= k_min_class_cpus && cpus <= k_max_class_cpus)) {
    throw_field_error("cpus", fmt::format("must be a number of CPUs from {} to {}: fractions "
                                          "are allowed (0.5 is half a CPU)",
                                          k_min_class_cpus, k_max_class_cpus));
  }
  // Kept to the nano-CPU, the unit Docker takes (NanoCpus). At most 13 significant digits are
  // then written, which rapidjson's parser (not correctly rounding longer numbers) reads back
  // as the same double: the canonical JSON stays the class it was written from.
  return std::round(cpus * 1e9) / 1e9;
}

std::int64_t read_memory_mib(const rapidjson::Value& value) {
  if (!value.IsNumber()) {
    read_integer(value, "memoryMiB"); // throws the type error
  }
  if (!value.IsInt64() || value.GetInt64() < k_min_class_memory_mib ||
      value.GetInt64() > k_max_class_memory_mib) {
    throw_field_error("memoryMiB",
                      fmt::format("must be a whole number of MiB from {} (Docker's minimum) to "
                                  "{} (16 TiB)",
                                  k_min_class_memory_mib, k_max_class_memory_mib));
  }
  return value.GetInt64();
}

ResourceClass read_resource_class(std::string_view name, const rapidjson::Value& object) {
  ResourceClass resource_class;
  resource_class.name = std::string(name);
  reject_unknown_members(object, {"name", "cpus", "memoryMiB"}, "");
  if (const auto* given = find_member(object, "name");
      given != nullptr && read_string(*given, "name") != name) {
    throw_field_error("name", "in the body differs from the resource class name in the path");
  }
  const auto* cpus = find_member(object, "cpus");
  if (cpus == nullptr) {
    throw_field_error("cpus", "is required: the CPUs a run of this class may use, like 2 or 0.5");
  }
  resource_class.cpus = read_cpus(*cpus);
  const auto* memory = find_member(object, "memoryMiB");
  if (memory == nullptr) {
    throw_field_error("memoryMiB",
                      "is required: the memory a run of this class may use in MiB, like 4096");
  }
  resource_class.memory_mib = read_memory_mib(*memory);
  return resource_class;
}

} // namespace

std::int64_t ResourceClass::nano_cpus() const {
  return std::llround(cpus * 1e9);
}

ResourceClass default_resource_class() {
  return ResourceClass{std::string(k_default_resource_class), 1, 2048};
}

std::string resource_class_setting_key(std::string_view name) {
  return std::string(k_resource_class_key_prefix) + std::string(name);
}

Result<ResourceClass> parse_resource_class(std::string_view name, std::string_view json) {
  if (auto checked = check_simple_name(name, "name"); !checked) {
    return checked.error();
  }
  auto document = parse_json_object(json);
  if (!document) {
    return document.error();
  }
  try {
    return read_resource_class(name, *document);
  } catch (const ErrorException& e) {
    return e.error();
  }
}

std::string to_canonical_json(const ResourceClass& resource_class) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("cpus");
  write_cpus(writer, resource_class.cpus);
  writer.Key("memoryMiB");
  writer.Int64(resource_class.memory_mib);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void write_resource_class_members(JsonWriter& writer, const ResourceClass& resource_class) {
  writer.Key("name");
  write_string(writer, resource_class.name);
  writer.Key("cpus");
  write_cpus(writer, resource_class.cpus);
  writer.Key("memoryMiB");
  writer.Int64(resource_class.memory_mib);
}

std::string describe_limits(const ResourceClass& resource_class) {
  // fmt writes a whole double without ".0": "2 cpus", "0.5 cpus".
  return fmt::format("{} {}, {} MiB", resource_class.cpus,
                     resource_class.cpus == 1 ? "cpu" : "cpus", resource_class.memory_mib);
}

} // namespace cicd::model

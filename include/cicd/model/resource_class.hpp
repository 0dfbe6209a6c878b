#pragma once
// A resource class: the CPUs and memory one run of a job in that class may use. Classes are
// global settings (PUT /settings/resource-classes/{name}), stored in the settings table under
// "resource_class/<name>" as their canonical JSON. An agent reserves a run's class out of its
// capacity while the run goes, and gives the job container the class's limits. The class
// "default" exists without being defined, as default_resource_class(), until a PUT changes it.

#include "cicd/core/error.hpp"
#include "cicd/model/json.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cicd::model {

inline constexpr std::string_view k_default_resource_class = "default";
inline constexpr std::string_view k_resource_class_key_prefix = "resource_class/";

// Docker's smallest CPU quota (1 ms per 100 ms period) and smallest memory limit.
inline constexpr double k_min_class_cpus = 0.01;
inline constexpr double k_max_class_cpus = 1024;
inline constexpr std::int64_t k_min_class_memory_mib = 6;
inline constexpr std::int64_t k_max_class_memory_mib = std::int64_t{16} * 1024 * 1024; // 16 TiB

struct ResourceClass {
  std::string name;
  double cpus = 1;
  std::int64_t memory_mib = 2048;
  bool operator==(const ResourceClass&) const = default;

  // Docker's NanoCpus (cpus·10⁹) and Memory (bytes) for the job container.
  std::int64_t nano_cpus() const;
  std::int64_t memory_bytes() const { return memory_mib * 1024 * 1024; }
};

// "default" as it is until PUT /settings/resource-classes/default changes it: 1 CPU, 2048 MiB.
ResourceClass default_resource_class();

// The settings key of class `name`: "resource_class/<name>".
std::string resource_class_setting_key(std::string_view name);

// Parses the body of PUT /settings/resource-classes/{name} for class `name`, or a stored
// definition: {"cpus": 0.5, "memoryMiB": 4096}, plus an optional "name" equal to `name`.
// invalid_input naming the field ("name" for a bad name, "cpus", "memoryMiB") otherwise.
Result<ResourceClass> parse_resource_class(std::string_view name, std::string_view json);

// The canonical JSON of the definition, as stored: {"cpus":0.5,"memoryMiB":4096}. A whole
// number of CPUs is written as an integer.
std::string to_canonical_json(const ResourceClass& resource_class);

// Writes "name", "cpus" and "memoryMiB" into an object the caller has started.
void write_resource_class_members(JsonWriter& writer, const ResourceClass& resource_class);

// "2 cpus, 4096 MiB", for logs and the run's console.
std::string describe_limits(const ResourceClass& resource_class);

} // namespace cicd::model

#include "cicd/model/resource_class.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cicd::model {
namespace {

TEST(ResourceClass, ParsesWholeAndFractionalCpus) {
  auto large = parse_resource_class("large", R"({"cpus": 2, "memoryMiB": 4096})");
  ASSERT_OK(large);
  EXPECT_EQ(*large, (ResourceClass{"large", 2, 4096}));
  EXPECT_EQ(large->nano_cpus(), 2'000'000'000);
  EXPECT_EQ(large->memory_bytes(), std::int64_t{4096} * 1024 * 1024);

  auto small = parse_resource_class("small", R"({"cpus": 0.5, "memoryMiB": 64, "name": "small"})");
  ASSERT_OK(small);
  EXPECT_EQ(small->cpus, 0.5);
  EXPECT_EQ(small->nano_cpus(), 500'000'000);
  EXPECT_EQ(small->memory_bytes(), 64 * 1024 * 1024);
}

TEST(ResourceClass, AcceptsTheBoundsOfEachRange) {
  auto least = parse_resource_class("tiny", R"({"cpus": 0.01, "memoryMiB": 6})");
  ASSERT_OK(least);
  EXPECT_EQ(least->nano_cpus(), 10'000'000);
  auto most = parse_resource_class("huge", R"({"cpus": 1024, "memoryMiB": 16777216})");
  ASSERT_OK(most);
  EXPECT_EQ(most->memory_bytes(), std::int64_t{16} << 40);
  EXPECT_OK(parse_resource_class("float", R"({"cpus": 2.0, "memoryMiB": 6})"));
}

TEST(ResourceClass, TheCanonicalJsonReadsBackTheSame) {
  for (const auto& resource_class :
       {ResourceClass{"a", 2, 4096}, ResourceClass{"b", 0.5, 64}, ResourceClass{"c", 0.1, 6},
        ResourceClass{"d", 1024, k_max_class_memory_mib}, ResourceClass{"e", 30.128665727, 64}}) {
    auto json = to_canonical_json(resource_class);
    auto back = parse_resource_class(resource_class.name, json);
    ASSERT_OK(back) << json;
    EXPECT_EQ(*back, resource_class) << json;
  }
  EXPECT_EQ(to_canonical_json(ResourceClass{"a", 2, 4096}), R"({"cpus":2,"memoryMiB":4096})");
  EXPECT_EQ(to_canonical_json(ResourceClass{"a", 0.5, 64}), R"({"cpus":0.5,"memoryMiB":64})");
}

// A number that needs all 17 digits was read back as another double (rapidjson does not round
// such numbers correctly), so the stored class changed on every write (found by the settings
// fuzzer). It is kept to the nano-CPU, which reads back exactly.
TEST(ResourceClass, CpusAreKeptToTheNanoCpu) {
  for (auto [body, cpus] :
       {std::pair{R"({"cpus": 30.128665727242387, "memoryMiB": 64})", 30.128665727},
        std::pair{R"({"cpus": 0.0100000000004, "memoryMiB": 64})", 0.01},
        std::pair{R"({"cpus": 1023.9999999999, "memoryMiB": 64})", 1024.0}}) {
    auto parsed = parse_resource_class("c", body);
    ASSERT_OK(parsed) << body;
    EXPECT_EQ(parsed->cpus, cpus) << body;
    auto again = parse_resource_class("c", to_canonical_json(*parsed));
    ASSERT_OK(again) << body;
    EXPECT_EQ(*again, *parsed) << to_canonical_json(*parsed);
  }
}

TEST(ResourceClass, WritesTheDocumentMembers) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  write_resource_class_members(writer, ResourceClass{"large", 0.5, 64});
  writer.EndObject();
  EXPECT_EQ(std::string(buffer.GetString()), R"({"name":"large","cpus":0.5,"memoryMiB":64})");
}

TEST(ResourceClass, DefaultIsOneCpuAnd2GiB) {
  EXPECT_EQ(default_resource_class(), (ResourceClass{"default", 1, 2048}));
  EXPECT_EQ(resource_class_setting_key("gpu"), "resource_class/gpu");
}

TEST(ResourceClass, DescribesItsLimitsForPeople) {
  EXPECT_EQ(describe_limits(ResourceClass{"large", 2, 4096}), "2 cpus, 4096 MiB");
  EXPECT_EQ(describe_limits(ResourceClass{"small", 0.5, 64}), "0.5 cpus, 64 MiB");
  EXPECT_EQ(describe_limits(default_resource_class()), "1 cpu, 2048 MiB");
}

TEST(ResourceClass, RefusesBadBodiesNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1})", "memoryMiB"},
      {R"({})", "cpus"},
      {R"({"cpus": "2", "memoryMiB": 64})", "cpus"},
      {R"({"cpus": true, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": null, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 0, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": -1, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 0.001, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1024.5, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 100000000000000000000, "memoryMiB": 64})", "cpus"},
      {R"({"cpus": 1, "memoryMiB": "64"})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 64.5})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 5})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 0})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": -64})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 16777217})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 18446744073709551615})", "memoryMiB"},
      {R"({"cpus": 1, "memoryMiB": 64, "memory": 64})", "memory"},
      {R"({"cpus": 1, "memoryMiB": 64, "name": "other"})", "name"},
      {R"({"cpus": 1, "memoryMiB": 64, "name": 7})", "name"},
  };
  for (const auto& [body, field] : bad) {
    EXPECT_ERROR_FIELD(parse_resource_class("large", body), ErrorCode::invalid_input, field)
        << body;
  }
  EXPECT_ERROR(parse_resource_class("large", "[]"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_resource_class("large", R"({"cpus": 1,)"), ErrorCode::invalid_input);
}

TEST(ResourceClass, RefusesBadNames) {
  for (const std::string& name :
       std::vector<std::string>{"", "Large", "a/b", "-x", "a.b", std::string(65, 'a')}) {
    EXPECT_ERROR_FIELD(parse_resource_class(name, R"({"cpus": 1, "memoryMiB": 64})"),
                       ErrorCode::invalid_input, "name")
        << name;
  }
}

TEST(ResourceClass, MessagesSayTheRange) {
  auto cpus = parse_resource_class("x", R"({"cpus": 0, "memoryMiB": 64})");
  ASSERT_FALSE(cpus);
  EXPECT_EQ(cpus.error().message, "'cpus' must be a number of CPUs from 0.01 to 1024: fractions "
                                  "are allowed (0.5 is half a CPU)");
  auto memory = parse_resource_class("x", R"({"cpus": 1, "memoryMiB": 5})");
  ASSERT_FALSE(memory);
  EXPECT_EQ(memory.error().message, "'memoryMiB' must be a whole number of MiB from 6 (Docker's "
                                    "minimum) to 16777216 (16 TiB)");
}

} // namespace
} // namespace cicd::model

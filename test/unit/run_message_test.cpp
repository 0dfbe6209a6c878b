#include "cicd/queue/run_message.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace cicd::queue {
namespace {

TEST(RunMessage, EncodesTheDocumentedFormat) {
  EXPECT_EQ(encode(RunMessage{12, "unit-test", "default"}),
            R"({"v":1,"runId":12,"job":"unit-test","resourceClass":"default"})");
  EXPECT_EQ(k_protocol_version, 1);
}

TEST(RunMessage, RoundTrips) {
  for (const auto& message :
       {RunMessage{1, "a", "default"},
        RunMessage{std::numeric_limits<std::int64_t>::max(), "x.y_z-0", "large"},
        RunMessage{9'007'199'254'740'993, "build", "gpu"}, // 2^53 + 1: not a double
        RunMessage{5, "quote\"and\\slash", "caf\xc3\xa9"}}) {
    auto decoded = decode(encode(message));
    ASSERT_OK(decoded) << encode(message);
    EXPECT_EQ(*decoded, message);
  }
}

TEST(RunMessage, AcceptsMembersInAnyOrderAndIgnoresExtraOnes) {
  auto decoded = decode(R"({"resourceClass":"default","job":"build","runId":3,"v":1,"x":[]})");
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, (RunMessage{3, "build", "default"}));
}

TEST(RunMessage, RefusesUnknownVersions) {
  for (std::string version : {"0", "2", "-1", "\"1\"", "1.0", "null"}) {
    EXPECT_ERROR_FIELD(
        decode(R"({"v":)" + version + R"(,"runId":3,"job":"build","resourceClass":"default"})"),
        ErrorCode::invalid_input, "v")
        << "v: " << version;
  }
  EXPECT_ERROR_FIELD(decode(R"({"runId":3,"job":"build","resourceClass":"default"})"),
                     ErrorCode::invalid_input, "v");
}

TEST(RunMessage, RefusesMissingOrMistypedFields) {
  for (std::string payload :
       {R"({"v":1,"job":"build","resourceClass":"default"})",
        R"({"v":1,"runId":3,"resourceClass":"default"})", R"({"v":1,"runId":3,"job":"build"})",
        R"({"v":1,"runId":"3","job":"build","resourceClass":"default"})",
        R"({"v":1,"runId":3.5,"job":"build","resourceClass":"default"})",
        R"({"v":1,"runId":3,"job":7,"resourceClass":"default"})",
        R"({"v":1,"runId":3,"job":"build","resourceClass":null})"}) {
    EXPECT_ERROR(decode(payload), ErrorCode::invalid_input) << payload;
  }
}

TEST(RunMessage, RefusesMalformedPayloads) {
  const std::string valid = R"({"v":1,"runId":3,"job":"build","resourceClass":"default"})";
  for (std::string payload :
       {std::string(), std::string("not json"), std::string("[1]"), valid + "x", valid + valid,
        std::string(R"({"v":1,"v":1,"runId":3,"job":"build","resourceClass":"default"})"),
        std::string(100'000, '['),
        std::string("{\"v\":1,\"runId\":3,\"job\":\"\xff\","
                    "\"resourceClass\":\"default\"}")}) {
    EXPECT_ERROR(decode(payload), ErrorCode::invalid_input) << payload.substr(0, 80);
  }
}

} // namespace
} // namespace cicd::queue

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

TEST(ControlMessage, EncodesTheDocumentedFormat) {
  EXPECT_EQ(encode_control(ControlMessage{ControlMessage::Kind::abort_run, 12, {}}),
            R"({"v":1,"type":"abort","runId":12})");
  EXPECT_EQ(encode_control(ControlMessage{ControlMessage::Kind::drain_agent, 0, "host-1a2b"}),
            R"({"v":1,"type":"drain","agentId":"host-1a2b"})");
}

TEST(ControlMessage, RoundTrips) {
  for (const auto& message :
       {ControlMessage{ControlMessage::Kind::abort_run, 1, {}},
        ControlMessage{
            ControlMessage::Kind::abort_run, std::numeric_limits<std::int64_t>::max(), {}},
        ControlMessage{ControlMessage::Kind::drain_agent, 0, "host-1a2b"},
        ControlMessage{ControlMessage::Kind::drain_agent, 0, "quote\"and\\slash caf\xc3\xa9"}}) {
    auto decoded = decode_control(encode_control(message));
    ASSERT_OK(decoded) << encode_control(message);
    EXPECT_EQ(*decoded, message);
  }
}

TEST(ControlMessage, IgnoresTheFieldsOfTheOtherType) {
  auto decoded = decode_control(R"({"agentId":"a","type":"abort","v":1,"runId":5,"x":{}})");
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, (ControlMessage{ControlMessage::Kind::abort_run, 5, {}}));
}

TEST(ControlMessage, RefusesUnknownTypes) {
  for (std::string type : {"\"explode\"", "\"Abort\"", "\"\"", "null", "1"}) {
    auto decoded = decode_control(R"({"v":1,"type":)" + type + R"(,"runId":3})");
    EXPECT_ERROR(decoded, ErrorCode::invalid_input) << "type: " << type;
  }
  EXPECT_ERROR_FIELD(decode_control(R"({"v":1,"type":"explode","runId":3})"),
                     ErrorCode::invalid_input, "type");
  EXPECT_ERROR_FIELD(decode_control(R"({"v":1,"runId":3})"), ErrorCode::invalid_input, "type");
}

TEST(ControlMessage, RefusesMissingOrMistypedFields) {
  EXPECT_ERROR_FIELD(decode_control(R"({"v":1,"type":"abort"})"), ErrorCode::invalid_input,
                     "runId");
  EXPECT_ERROR_FIELD(decode_control(R"({"v":1,"type":"drain","runId":3})"),
                     ErrorCode::invalid_input, "agentId");
  EXPECT_ERROR(decode_control(R"({"v":1,"type":"abort","runId":"3"})"), ErrorCode::invalid_input);
  EXPECT_ERROR(decode_control(R"({"v":1,"type":"drain","agentId":7})"), ErrorCode::invalid_input);
}

TEST(ControlMessage, RefusesUnknownVersions) {
  for (std::string version : {"0", "2", "\"1\"", "null"}) {
    EXPECT_ERROR_FIELD(decode_control(R"({"v":)" + version + R"(,"type":"abort","runId":3})"),
                       ErrorCode::invalid_input, "v")
        << "v: " << version;
  }
  EXPECT_ERROR_FIELD(decode_control(R"({"type":"abort","runId":3})"), ErrorCode::invalid_input,
                     "v");
}

TEST(ControlMessage, RefusesMalformedPayloads) {
  for (std::string payload : {std::string(), std::string("not json"), std::string("[1]"),
                              std::string(R"({"v":1,"type":"abort","runId":3})") + "x"}) {
    EXPECT_ERROR(decode_control(payload), ErrorCode::invalid_input) << payload;
  }
}

} // namespace
} // namespace cicd::queue

#include "cicd/model/json.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cicd::model {
namespace {

// `depth` nested arrays inside the top-level object, so the object counts as one level.
std::string nested_arrays_in_object(int depth) {
  return R"({"a":)" + std::string(static_cast<std::size_t>(depth - 1), '[') +
         std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
}

TEST(ParseJsonObject, AcceptsAnObject) {
  auto document = parse_json_object(R"( {"name": "build", "n": 3, "list": [1, {"x": null}]} )");
  ASSERT_OK(document);
  EXPECT_STREQ((*document)["name"].GetString(), "build");
  EXPECT_EQ((*document)["n"].GetInt64(), 3);
  EXPECT_TRUE((*document)["list"][1]["x"].IsNull());
}

TEST(ParseJsonObject, RefusesDeepNestingWithoutCrashing) {
  std::string arrays = std::string(10'000, '[') + std::string(10'000, ']');
  EXPECT_ERROR(parse_json_object(arrays), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object(R"({"a":)" + arrays + "}"), ErrorCode::invalid_input);

  std::string objects;
  for (int i = 0; i < 10'000; ++i) {
    objects += R"({"a":)";
  }
  objects += "1" + std::string(10'000, '}');
  auto result = parse_json_object(objects);
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find("deeper than"), std::string::npos)
      << result.error().message;

  // Unbalanced: 10,000 openings and nothing else.
  EXPECT_ERROR(parse_json_object(std::string(10'000, '{')), ErrorCode::invalid_input);
}

TEST(ParseJsonObject, DepthLimitIsExact) {
  EXPECT_OK(parse_json_object(nested_arrays_in_object(k_max_json_depth)));
  EXPECT_ERROR(parse_json_object(nested_arrays_in_object(k_max_json_depth + 1)),
               ErrorCode::invalid_input);
}

TEST(ParseJsonObject, BracketsInsideStringsAreNotNesting) {
  std::string brackets(10'000, '[');
  EXPECT_OK(parse_json_object(R"({"a":")" + brackets + R"(","b":"\"{{{{"})"));
}

TEST(ParseJsonObject, DuplicateKeysNameTheKey) {
  EXPECT_ERROR_FIELD(parse_json_object(R"({"image":"a","image":"b"})"), ErrorCode::invalid_input,
                     "image");
  EXPECT_ERROR_FIELD(parse_json_object(R"({"env":{"A":"1","B":"2","A":"3"}})"),
                     ErrorCode::invalid_input, "env.A");
  EXPECT_ERROR_FIELD(parse_json_object(R"({"list":[{"k":1},{"k":1,"k":2}]})"),
                     ErrorCode::invalid_input, "list[1].k");
}

// Found by test/fuzz/job_definition_fuzz.cpp: rapidjson 1.1 read a lone "\udc00" escape into
// bytes that are not UTF-8, so a job stored with it could not be read back.
TEST(ParseJsonObject, LoneSurrogateEscapesAreRefusedAndPairsAccepted) {
  EXPECT_ERROR_FIELD(parse_json_object(R"({"description":"x\ude11y"})"), ErrorCode::invalid_input,
                     "description");
  EXPECT_ERROR_FIELD(parse_json_object(R"({"env":{"A\udfff":"1"}})"), ErrorCode::invalid_input,
                     "env.A\xED\xBF\xBF");
  EXPECT_ERROR_FIELD(parse_json_object(R"({"list":["ok","\udc00"]})"), ErrorCode::invalid_input,
                     "list[1]");
  auto pair = parse_json_object(R"({"emoji":"\ud83d\ude00 \u00e9"})");
  ASSERT_TRUE(pair);
  EXPECT_EQ(std::string((*pair)["emoji"].GetString()), "\xF0\x9F\x98\x80 \xC3\xA9");
}

TEST(ParseJsonObject, RefusesTrailingBytes) {
  EXPECT_ERROR(parse_json_object("{} x"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object("{}{}"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object(R"({"a":1},)"), ErrorCode::invalid_input);
  EXPECT_OK(parse_json_object("{}\n\t "));
}

// rapidjson stops at a NUL byte even with an explicit length, so a raw NUL (never valid JSON;
// inside strings it is escaped as \u0000) must be refused before parsing.
TEST(ParseJsonObject, RefusesANulByteAndWhateverFollowsIt) {
  using namespace std::string_literals;
  EXPECT_ERROR(parse_json_object("{}\0"s), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object("{\"a\":1}\0{\"b\":2}"s), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object("{\"type\":\"git\"} \0 garbage"s), ErrorCode::invalid_input);
}

TEST(ParseJsonObject, SyntaxErrorsGiveTheByteOffset) {
  auto result = parse_json_object(R"({"a": tru})");
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find("at byte"), std::string::npos) << result.error().message;
}

TEST(ParseJsonObject, RefusesInvalidUtf8) {
  EXPECT_ERROR(parse_json_object("{\"a\":\"\xff\"}"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object("{\"a\":\"\xc0\xaf\"}"), ErrorCode::invalid_input); // overlong
  EXPECT_ERROR(parse_json_object("{\"a\":\"\xe2\x82\"}"), ErrorCode::invalid_input); // truncated
  EXPECT_ERROR(parse_json_object("{\"\xfe\":1}"), ErrorCode::invalid_input);
  EXPECT_OK(parse_json_object("{\"a\":\"caf\xc3\xa9 \xe2\x82\xac\"}"));
}

TEST(ParseJsonObject, RefusesNumbersOutOfRange) {
  EXPECT_ERROR(parse_json_object(R"({"n":1e400})"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_json_object(R"({"n":-1e400})"), ErrorCode::invalid_input);
}

TEST(ParseJsonObject, RefusesAnythingButAnObjectAtTheTop) {
  for (std::string text : {"[1,2]", "[]", "null", "true", "1", R"("text")", "", "   "}) {
    EXPECT_ERROR(parse_json_object(text), ErrorCode::invalid_input) << "input: " << text;
  }
  auto result = parse_json_object("[{}]");
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find("object"), std::string::npos) << result.error().message;
}

TEST(ReadInteger, RefusesFractionsAndNumbersBeyondInt64) {
  auto document = parse_json_object(R"({"big":9223372036854775808,"frac":1.5,"ok":-42})").value();
  EXPECT_EQ(read_integer(document["ok"], "ok"), -42);
  for (const char* field : {"big", "frac"}) {
    try {
      read_integer(document[field], field);
      ADD_FAILURE() << field << " was accepted";
    } catch (const ErrorException& e) {
      EXPECT_EQ(e.error().code, ErrorCode::invalid_input);
      EXPECT_EQ(e.error().field, field);
    }
  }
}

TEST(ReadString, RefusesNul) {
  auto document = parse_json_object(R"({"s":"a\u0000b"})").value();
  try {
    read_string(document["s"], "s");
    ADD_FAILURE() << "a string with NUL was accepted";
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().field, "s");
  }
}

TEST(FormatTimestamp, IsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1'795'736'531'842), "2026-11-26T23:42:11.842Z");
  EXPECT_EQ(format_timestamp(1'795'736'531'005), "2026-11-26T23:42:11.005Z");
}

} // namespace
} // namespace cicd::model

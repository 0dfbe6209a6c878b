#pragma once
// Strict JSON input for the API: the whole body must be one JSON value, nested at most
// k_max_json_depth deep, with no duplicate keys. Errors name the byte offset or the field.

#include "cicd/core/error.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace cicd::model {

inline constexpr int k_max_json_depth = 32;

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses `text`; the top-level value must be an object. ErrorCode::invalid_input otherwise.
Result<rapidjson::Document> parse_json_object(std::string_view text);

// Helpers for readers of a parsed object. Each throws ErrorException (caught by the public
// parse functions, which return Result) with ErrorCode::invalid_input naming the field path.
[[noreturn]] void throw_field_error(const std::string& field, const std::string& message);

// Rejects members of `object` not in `known`; `path` prefixes field names ("services.db").
void reject_unknown_members(const rapidjson::Value& object,
                            std::initializer_list<std::string_view> known, const std::string& path);

std::string field_path(const std::string& path, std::string_view key);

const rapidjson::Value* find_member(const rapidjson::Value& object, std::string_view key);
std::string read_string(const rapidjson::Value& value, const std::string& field);
bool read_bool(const rapidjson::Value& value, const std::string& field);
std::int64_t read_integer(const rapidjson::Value& value, const std::string& field);
const rapidjson::Value& read_object(const rapidjson::Value& value, const std::string& field);
const rapidjson::Value& read_array(const rapidjson::Value& value, const std::string& field);

// Writes `value` as a JSON string / raw member helpers for the serialisers.
void write_string(JsonWriter& writer, std::string_view value);
void write_key(JsonWriter& writer, std::string_view key);

// RFC 3339 UTC with milliseconds ("2026-11-26T23:27:09.123Z") from milliseconds since the epoch.
std::string format_timestamp(std::int64_t unix_ms);

} // namespace cicd::model

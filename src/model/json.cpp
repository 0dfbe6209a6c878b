#include "cicd/model/json.hpp"

#include <rapidjson/error/en.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <unordered_set>

namespace cicd::model {
namespace {

// Counts nesting outside strings, so that a deeply nested body is refused before parsing.
bool nesting_within_limit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > k_max_json_depth) {
        return false;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Whether a string holds the UTF-8 form of a UTF-16 surrogate (0xED then 0xA0-0xBF). The body
// is checked to be UTF-8, but rapidjson 1.1 turns a lone "\udc00" escape into these bytes,
// which no parser (ours included) reads back: a stored definition would never load again.
bool holds_surrogate(const rapidjson::Value& string) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(string.GetString());
  for (std::size_t i = 0; i + 1 < string.GetStringLength(); ++i) {
    if (bytes[i] == 0xED && bytes[i + 1] >= 0xA0) {
      return true;
    }
  }
  return false;
}

constexpr const char* k_surrogate_message =
    "holds a lone UTF-16 surrogate escape (\\ud800 to \\udfff), which is not text";

// Refuses duplicate keys and lone surrogates. Depth is bounded by nesting_within_limit, so
// recursion here is bounded too.
void reject_duplicate_keys(const rapidjson::Value& value, const std::string& path) {
  if (value.IsString() && holds_surrogate(value)) {
    throw_field_error(path, k_surrogate_message);
  }
  if (value.IsObject()) {
    std::unordered_set<std::string_view> seen;
    for (const auto& member : value.GetObject()) {
      std::string_view key(member.name.GetString(), member.name.GetStringLength());
      std::string child = field_path(path, key);
      if (holds_surrogate(member.name)) {
        throw_field_error(child, std::string("is a name that ") + k_surrogate_message);
      }
      if (!seen.insert(key).second) {
        throw_field_error(child, "appears more than once in the object: keep one");
      }
      reject_duplicate_keys(member.value, child);
    }
  } else if (value.IsArray()) {
    std::size_t index = 0;
    for (const auto& element : value.GetArray()) {
      reject_duplicate_keys(element, path + "[" + std::to_string(index++) + "]");
    }
  }
}

const char* type_name(const rapidjson::Value& value) {
  switch (value.GetType()) {
  case rapidjson::kNullType:
    return "null";
  case rapidjson::kFalseType:
  case rapidjson::kTrueType:
    return "a boolean";
  case rapidjson::kObjectType:
    return "an object";
  case rapidjson::kArrayType:
    return "an array";
  case rapidjson::kStringType:
    return "a string";
  case rapidjson::kNumberType:
    return "a number";
  }
  return "a value";
}

[[noreturn]] void throw_type_error(const rapidjson::Value& value, const std::string& field,
                                   const char* expected) {
  throw_field_error(field, fmt::format("must be {}, not {}", expected, type_name(value)));
}

} // namespace

Result<rapidjson::Document> parse_json_object(std::string_view text) {
  // rapidjson stops at a NUL byte even when given a length; a raw NUL is never valid JSON.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("the body is not valid JSON: a NUL byte (at byte {})", nul));
  }
  if (!nesting_within_limit(text)) {
    return make_error(
        ErrorCode::invalid_input,
        fmt::format("the JSON body is nested deeper than {} levels", k_max_json_depth));
  }
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (document.HasParseError()) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("the body is not valid JSON: {} (at byte {})",
                                  rapidjson::GetParseError_En(document.GetParseError()),
                                  document.GetErrorOffset()));
  }
  if (!document.IsObject()) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("the body must be a JSON object, not {}", type_name(document)));
  }
  try {
    reject_duplicate_keys(document, "");
  } catch (const ErrorException& e) {
    return e.error();
  }
  return document;
}

void throw_field_error(const std::string& field, const std::string& message) {
  throw ErrorException(make_error(ErrorCode::invalid_input, "'" + field + "' " + message, field));
}

void reject_unknown_members(const rapidjson::Value& object,
                            std::initializer_list<std::string_view> known,
                            const std::string& path) {
  for (const auto& member : object.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    bool is_known = false;
    for (auto k : known) {
      is_known = is_known || k == key;
    }
    if (!is_known) {
      std::string allowed;
      for (auto k : known) {
        allowed += allowed.empty() ? "" : ", ";
        allowed += k;
      }
      throw_field_error(field_path(path, key),
                        "is not a known field (expected one of: " + allowed + ")");
    }
  }
}

std::string field_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

const rapidjson::Value* find_member(const rapidjson::Value& object, std::string_view key) {
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string read_string(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsString()) {
    throw_type_error(value, field, "a string");
  }
  std::string text(value.GetString(), value.GetStringLength());
  if (text.find('\0') != std::string::npos) {
    throw_field_error(field, "contains a NUL character");
  }
  return text;
}

bool read_bool(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsBool()) {
    throw_type_error(value, field, "true or false");
  }
  return value.GetBool();
}

std::int64_t read_integer(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsInt64()) {
    if (value.IsNumber()) {
      throw_field_error(field, "must be a whole number between -2^63 and 2^63-1");
    }
    throw_type_error(value, field, "an integer");
  }
  return value.GetInt64();
}

const rapidjson::Value& read_object(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsObject()) {
    throw_type_error(value, field, "an object");
  }
  return value;
}

const rapidjson::Value& read_array(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsArray()) {
    throw_type_error(value, field, "an array");
  }
  return value;
}

void write_string(JsonWriter& writer, std::string_view value) {
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_key(JsonWriter& writer, std::string_view key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

std::string format_timestamp(std::int64_t unix_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds(unix_ms)};
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", floor<seconds>(t), unix_ms % 1000);
}

} // namespace cicd::model

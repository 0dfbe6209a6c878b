// Reading the text of apply's files into JSON documents (apply_source.hpp).
#include "apply_source.hpp"

#include <rapidjson/error/en.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace cicd::ctl {
namespace fs = std::filesystem;

CtlError file_error(const SourceLocation& where, const std::string& message) {
  return CtlError(k_exit_usage, where.text() + ": " + message,
                  "nothing was changed; the file format is in docs/ctl-apply.md");
}

namespace {

using Allocator = rapidjson::Document::AllocatorType;

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CtlError(k_exit_usage, "cannot read " + path.string(),
                   "-f takes a YAML or JSON file, or a directory of them");
  }
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

bool is_null_word(const std::string& text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// A plain YAML scalar as JSON, by the YAML 1.2 core schema: null, true/false, integers
// (decimal, 0o, 0x), floats, and everything else a string. ("yes" and "on" are strings.)
void plain_scalar(const std::string& text, rapidjson::Value& out, Allocator& allocator,
                  const SourceLocation& where) {
  static const std::regex k_int("[-+]?[0-9]+");
  static const std::regex k_float("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex k_special("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (text == "true" || text == "True" || text == "TRUE") {
    out.SetBool(true);
  } else if (text == "false" || text == "False" || text == "FALSE") {
    out.SetBool(false);
  } else if (std::regex_match(text, k_int)) {
    std::int64_t number = 0;
    auto digits = text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      throw file_error(where, "the number " + text + " is too large");
    }
    out.SetInt64(number);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), number,
                                     text[1] == 'x' ? 16 : 8);
    if (ec != std::errc() || end != text.data() + text.size()) {
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
    } else {
      out.SetInt64(number);
    }
  } else if (std::regex_match(text, k_float)) {
    out.SetDouble(std::strtod(text.c_str(), nullptr));
  } else if (std::regex_match(text, k_special)) {
    throw file_error(where, text + " has no JSON form: quote it to mean the string");
  } else {
    out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
  }
}

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  return SourceLocation{file, node.Mark().line + 1, node.Mark().column + 1};
}

void yaml_to_json(const YAML::Node& node, rapidjson::Value& out, Allocator& allocator,
                  const std::string& file, std::vector<std::string>& path, Locations& locations) {
  auto where = location_of(node, file);
  if (path.size() <= 4) {
    locations.emplace(path, where); // a map's member is where its key is (set below)
  }
  switch (node.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    out.SetNull();
    break;
  case YAML::NodeType::Scalar: {
    const auto& tag = node.Tag();
    if (tag == "?") {
      plain_scalar(node.Scalar(), out, allocator, where);
    } else if (tag == "!" || tag.ends_with(":str")) { // quoted, a block, or !!str
      out.SetString(node.Scalar().data(), static_cast<rapidjson::SizeType>(node.Scalar().size()),
                    allocator);
    } else {
      plain_scalar(node.Scalar(), out, allocator, where);
    }
    break;
  }
  case YAML::NodeType::Sequence:
    out.SetArray();
    for (const auto& item : node) {
      rapidjson::Value value;
      path.push_back("[]");
      yaml_to_json(item, value, allocator, file, path, locations);
      path.pop_back();
      out.PushBack(value, allocator);
    }
    break;
  case YAML::NodeType::Map: {
    out.SetObject();
    std::set<std::string> seen;
    for (const auto& member : node) {
      if (!member.first.IsScalar()) {
        throw file_error(location_of(member.first, file), "a key must be a plain string");
      }
      const auto& key = member.first.Scalar();
      if (!seen.insert(key).second) {
        throw file_error(location_of(member.first, file), "'" + key + "' appears twice here");
      }
      rapidjson::Value value;
      path.push_back(key);
      if (path.size() <= 4) {
        locations.emplace(path, location_of(member.first, file));
      }
      yaml_to_json(member.second, value, allocator, file, path, locations);
      path.pop_back();
      out.AddMember(
          rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), allocator),
          value, allocator);
    }
    break;
  }
  }
}

// The key twice in one JSON object: rapidjson keeps both, the API would refuse it.
void reject_duplicate_keys(const rapidjson::Value& value, const std::string& file,
                           const std::string& path) {
  if (value.IsObject()) {
    std::set<std::string> seen;
    for (const auto& member : value.GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      auto child = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        throw file_error(SourceLocation{file}, "'" + child + "' appears twice");
      }
      reject_duplicate_keys(member.value, file, child);
    }
  } else if (value.IsArray()) {
    for (const auto& item : value.GetArray()) {
      reject_duplicate_keys(item, file, path);
    }
  }
}

// The documents of one file, each with the positions of its nodes.
} // namespace

std::vector<SourceDocument> parse_source_file(const fs::path& path) {
  auto text = read_whole_file(path);
  auto file = path.string();
  std::vector<SourceDocument> documents;
  if (path.extension() == ".json") {
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    if (document.HasParseError()) {
      auto offset = std::min(document.GetErrorOffset(), text.size());
      auto before = std::string_view(text).substr(0, offset);
      int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      auto newline = before.rfind('\n');
      int column = static_cast<int>(offset - (newline == std::string_view::npos ? 0 : newline + 1));
      throw file_error(SourceLocation{file, line, column + 1},
                       std::string("not valid JSON: ") +
                           rapidjson::GetParseError_En(document.GetParseError()));
    }
    reject_duplicate_keys(document, file, "");
    documents.push_back(SourceDocument{std::move(document), Locations{{{}, SourceLocation{file}}}});
    return documents;
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw file_error(SourceLocation{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  for (const auto& node : nodes) {
    if (node.IsNull()) {
      continue; // an empty document, as after a trailing `---`
    }
    rapidjson::Document document;
    Locations locations;
    std::vector<std::string> keys;
    yaml_to_json(node, document, document.GetAllocator(), file, keys, locations);
    documents.push_back(SourceDocument{std::move(document), std::move(locations)});
  }
  return documents;
}

std::string SourceLocation::text() const {
  if (line <= 0) {
    return file;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

bool plain_yaml_reads_as_string(const std::string& text) {
  if (is_null_word(text) || text.front() == ' ' || text.back() == ' ' ||
      text.find_first_of("\n\t\r") != std::string::npos) {
    return false;
  }
  rapidjson::Document read;
  try {
    plain_scalar(text, read, read.GetAllocator(), SourceLocation{});
  } catch (const CtlError&) {
    return false;
  }
  return read.IsString();
}

} // namespace cicd::ctl

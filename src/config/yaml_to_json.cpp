#include "yaml_to_json.hpp"

#include "cicd/config/repo_config.hpp"
#include "cicd/core/error.hpp"
#include "cicd/model/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cicd::config {
namespace {

std::string element_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

struct Expansion {
  std::size_t nodes = 0;
  std::size_t text = 0;
};

void measure(const YAML::Node& node, const std::string& path, int line, int depth, Expansion& seen,
             SourceLines& lines) {
  // An alias is the anchored node itself, shared: walking it again is what expansion costs.
  if (++seen.nodes > k_max_repo_config_nodes) {
    fail_at(
        lines, path, line,
        fmt::format("the file expands to more than {} nodes (anchors and aliases): '{}' is past "
                    "the limit; write the shared parts out instead of nesting aliases",
                    k_max_repo_config_nodes, path));
  }
  // Also what stops a node that contains its own alias (&a [*a]) before the stack does.
  if (depth > model::k_max_json_depth) {
    fail_at(lines, path, line,
            fmt::format("'{}' is nested deeper than {} levels (anchors and aliases included)", path,
                        model::k_max_json_depth));
  }
  if (node.IsScalar()) {
    seen.text += node.Scalar().size();
    if (seen.text > k_max_repo_config_text) {
      fail_at(lines, path, line,
              fmt::format("the file expands to more than {} MiB of text (anchors and aliases): "
                          "'{}' is past the limit; alias long values less often",
                          k_max_repo_config_text / (1024 * 1024), path));
    }
  } else if (node.IsSequence()) {
    std::size_t index = 0;
    for (const auto& element : node) {
      measure(element, element_path(path, index++), line_of(element), depth + 1, seen, lines);
    }
  } else if (node.IsMap()) {
    for (const auto& member : node) {
      std::string child =
          model::field_path(path, member.first.IsScalar() ? member.first.Scalar() : "?");
      measure(member.first, child, line_of(member.first), depth + 1, seen, lines);
      measure(member.second, child, line_of(member.first), depth + 1, seen, lines);
    }
  }
}

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value convert(const YAML::Node& node, const std::string& path, Allocator& allocator,
                         SourceLines& lines);

constexpr const char* k_merge_rule =
    "must be a map, or a list of maps, to merge (an alias such as *defaults)";

bool is_merge_key(const YAML::Node& key) {
  // A quoted "<<" is an ordinary key; only the plain one merges (YAML 1.1 merge keys).
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() == "?";
}

// The maps that `value`, the value of a "<<" key at `path`, merges, in order.
void collect_merged_maps(const YAML::Node& value, const std::string& path, int line,
                         std::vector<YAML::Node>& merged, SourceLines& lines) {
  if (value.IsMap()) {
    merged.push_back(value);
    return;
  }
  if (!value.IsSequence()) {
    fail_at(lines, path, line, "'" + path + "' " + k_merge_rule);
  }
  std::size_t index = 0;
  for (const auto& element : value) {
    std::string child = element_path(path, index++);
    if (!element.IsMap()) {
      fail_at(lines, child, line_of(element), "'" + child + "' " + k_merge_rule);
    }
    merged.push_back(element);
  }
}

// Adds the members of `map` to `object`, except keys in `taken` (set by the map that merges
// this one, or by an earlier merge), then the members of the maps it merges, in order: a
// map's own keys win over merged ones, and an earlier merge over a later one.
void add_members(const YAML::Node& map, const std::string& path, rapidjson::Value& object,
                 std::unordered_set<std::string>& taken, Allocator& allocator, SourceLines& lines) {
  std::unordered_map<std::string, int> own_lines;
  std::vector<YAML::Node> merged;
  for (const auto& member : map) {
    const YAML::Node& key = member.first;
    if (!key.IsScalar()) {
      fail_at(lines, path, line_of(key),
              (path.empty() ? "the file" : "'" + path + "'") +
                  " has a list or a map as a key: keys are plain names");
    }
    std::string child = model::field_path(path, key.Scalar());
    if (auto [first, added] = own_lines.emplace(key.Scalar(), line_of(key)); !added) {
      fail_at(lines, child, line_of(key),
              fmt::format("'{}' is set twice in the same map (first on line {}): keep one", child,
                          first->second));
    }
    if (is_merge_key(key)) {
      collect_merged_maps(member.second, child, line_of(key), merged, lines);
      continue;
    }
    if (!taken.insert(key.Scalar()).second) {
      continue;
    }
    lines.emplace(child, line_of(key));
    const auto& text = key.Scalar();
    rapidjson::Value name(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
    object.AddMember(name, convert(member.second, child, allocator, lines), allocator);
  }
  for (const auto& source : merged) {
    add_members(source, path, object, taken, allocator, lines);
  }
}

rapidjson::Value convert(const YAML::Node& node, const std::string& path, Allocator& allocator,
                         SourceLines& lines) {
  if (node.IsScalar()) {
    const auto& text = node.Scalar();
    return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
  }
  if (node.IsSequence()) {
    rapidjson::Value array(rapidjson::kArrayType);
    std::size_t index = 0;
    for (const auto& element : node) {
      std::string child = element_path(path, index++);
      // An empty item's mark is the next token's: it gets the line of the list instead.
      if (!element.IsNull()) {
        lines.emplace(child, line_of(element));
      }
      array.PushBack(convert(element, child, allocator, lines), allocator);
    }
    return array;
  }
  if (node.IsMap()) {
    rapidjson::Value object(rapidjson::kObjectType);
    std::unordered_set<std::string> taken;
    add_members(node, path, object, taken, allocator, lines);
    return object;
  }
  // A YAML null: "user:" with nothing after it, "~" or "null". The line is the key's, recorded
  // by the caller: a null's own mark points at the next token.
  throw ErrorException(make_error(
      ErrorCode::invalid_input,
      "'" + path + "' is empty: write a value, or leave the key out to get its default", path));
}

} // namespace

void fail_at(SourceLines& lines, const std::string& path, int line, const std::string& message) {
  lines[path] = line;
  throw ErrorException(make_error(ErrorCode::invalid_input, message, path));
}

int line_of(const YAML::Node& node) {
  return std::max(node.Mark().line, 0) + 1;
}

void check_expanded_size(const YAML::Node& root, SourceLines& lines) {
  Expansion seen;
  measure(root, "", line_of(root), 0, seen, lines);
}

rapidjson::Value yaml_to_json(const YAML::Node& node, const std::string& path,
                              rapidjson::Document::AllocatorType& allocator, SourceLines& lines) {
  return convert(node, path, allocator, lines);
}

} // namespace cicd::config

#pragma once
// Turns a parsed YAML document into the JSON form model::read_run_spec reads, so that a
// .cicd.yml and a freestyle job's JSON go through the same validation. Private to src/config.
//
// Every scalar becomes a JSON string ("5432", "true", "on" stay text): the run spec has no
// boolean, and its one number (a service's port) is typed by the caller. Errors throw
// ErrorException naming the key path; `lines` then tells where in the file that path is.

#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <unordered_map>

namespace cicd::config {

// The 1-based line where each key path ("services.db.image", "script[2]") is written; a key
// reached through an alias is at the line of the anchored value. The root is "".
using SourceLines = std::unordered_map<std::string, int>;

// Past this much scalar text after aliases are expanded, a file is refused: few nodes can
// stand for much text when a long value is aliased many times.
inline constexpr std::size_t k_max_repo_config_text = 8 * 1024 * 1024;

int line_of(const YAML::Node& node);

// Records that `path` is at `line`, then throws the problem with it (ErrorCode::invalid_input,
// the field `path`): the caller turns it into "<file>:<line>: <message>".
[[noreturn]] void fail_at(SourceLines& lines, const std::string& path, int line,
                          const std::string& message);

// Refuses `root` when walking it, each alias expanded where it is used, meets more than
// k_max_repo_config_nodes nodes, more than k_max_repo_config_text bytes of scalars, or
// nesting deeper than model::k_max_json_depth. Stops as soon as a bound is passed, so a
// "billion laughs" document costs no more than the bounds.
void check_expanded_size(const YAML::Node& root, SourceLines& lines);

// Converts `node`, found at key path `path`, to JSON. Maps must have plain scalar keys, each
// once; `<<` merges the keys of a map (or a list of maps) that the map does not set itself.
// A value left empty (null) is refused. Call check_expanded_size on the document first: this
// walk relies on its bounds.
rapidjson::Value yaml_to_json(const YAML::Node& node, const std::string& path,
                              rapidjson::Document::AllocatorType& allocator, SourceLines& lines);

} // namespace cicd::config

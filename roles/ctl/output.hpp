#pragma once
// What `cicd ctl` prints: documents as JSON or YAML (-o json|yaml, for scripts: the API's own
// documents), aligned tables for people (the default), colour only on a terminal and never
// with NO_COLOR, and consoles with terminal control sequences made harmless.

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace cicd::ctl {

enum class Format { table, json, yaml };
// "table", "json" or "yaml"; anything else is a usage error.
Format parse_format(const std::string& text);

struct Terminal {
  bool out_is_tty = false;
  bool err_is_tty = false;
  bool colour = false; // stdout is a terminal, NO_COLOR is unset and TERM is not "dumb"
  static Terminal detect();
};

std::string to_json_text(const rapidjson::Value& value); // pretty, ends with a newline
std::string to_yaml_text(const rapidjson::Value& value); // block style, ends with a newline
// The document in `format` (json or yaml), for -o json|yaml.
void print_document(const rapidjson::Value& value, Format format);

// Columns padded to their widest cell; the header in bold on a colour terminal.
class Table {
public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  std::string render(bool colour) const;

private:
  std::vector<std::vector<std::string>> m_rows;
};

// The run status in words, coloured on a colour terminal (green, red, yellow, …).
std::string status_text(std::string_view status, bool colour);
// "1h 2m", "3m 4s", "5.2s" between two ISO times; "" when either is missing.
std::string duration_between(std::string_view from, std::string_view to);
// "2026-11-27 11:40:02" from the API's "2026-11-27T11:40:02.123Z"; "" for null.
std::string short_time(std::string_view iso);
// "12 KiB" and the like.
std::string human_size(std::int64_t bytes);

// A console made safe to print: on a terminal only colour (SGR) sequences are kept; any other
// control sequence (cursor moves, title changes, OSC links) and every sequence when the output
// is not a terminal are removed. Holds back an escape sequence cut at the end of `bytes` until
// the next call (pass the rest on with `flush`).
class ConsoleFilter {
public:
  explicit ConsoleFilter(bool keep_colour) : m_keep_colour(keep_colour) {}
  std::string feed(std::string_view bytes);
  std::string flush();

private:
  bool m_keep_colour;
  std::string m_pending;
};

// A string member of an object, "" when absent or not a string.
std::string string_of(const rapidjson::Value& object, const char* name);

} // namespace cicd::ctl

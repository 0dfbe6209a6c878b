#include "output.hpp"

#include "apply_source.hpp"
#include "ctl_error.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace cicd::ctl {

Format parse_format(const std::string& text) {
  if (text == "table") {
    return Format::table;
  }
  if (text == "json") {
    return Format::json;
  }
  if (text == "yaml") {
    return Format::yaml;
  }
  throw usage_error("-o must be table, json or yaml, not '" + text + "'");
}

Terminal Terminal::detect() {
  Terminal terminal;
  terminal.out_is_tty = ::isatty(STDOUT_FILENO) == 1;
  terminal.err_is_tty = ::isatty(STDERR_FILENO) == 1;
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  terminal.colour = terminal.out_is_tty && (no_colour == nullptr || *no_colour == '\0') &&
                    (term == nullptr || std::string_view(term) != "dumb");
  return terminal;
}

std::string to_json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

namespace {

// YAML that `apply` reads back as exactly `value`: strings it would read as something else
// ("true", "12", "null", "0o17") are quoted.
void emit_yaml(YAML::Emitter& out, const rapidjson::Value& value) {
  if ((value.IsObject() && value.ObjectEmpty()) || (value.IsArray() && value.Empty())) {
    out << YAML::Flow << (value.IsObject() ? YAML::BeginMap : YAML::BeginSeq);
    out << (value.IsObject() ? YAML::EndMap : YAML::EndSeq);
  } else if (value.IsObject()) {
    out << YAML::BeginMap;
    for (const auto& member : value.GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      out << YAML::Key;
      if (!plain_yaml_reads_as_string(key)) {
        out << YAML::DoubleQuoted;
      }
      out << key << YAML::Value;
      emit_yaml(out, member.value);
    }
    out << YAML::EndMap;
  } else if (value.IsArray()) {
    out << YAML::BeginSeq;
    for (const auto& item : value.GetArray()) {
      emit_yaml(out, item);
    }
    out << YAML::EndSeq;
  } else if (value.IsString()) {
    std::string text(value.GetString(), value.GetStringLength());
    if (!plain_yaml_reads_as_string(text)) {
      out << YAML::DoubleQuoted;
    }
    out << text;
  } else if (value.IsBool()) {
    out << (value.GetBool() ? "true" : "false");
  } else if (value.IsInt64()) {
    out << value.GetInt64();
  } else if (value.IsUint64()) {
    out << value.GetUint64();
  } else if (value.IsNumber()) {
    out << YAML::Precision(17) << value.GetDouble();
  } else {
    out << YAML::Null;
  }
}

std::size_t display_width(std::string_view text) {
  // Code points, skipping colour sequences: close enough for names, statuses and times.
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') {
        ++i;
      }
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

} // namespace

std::string to_yaml_text(const rapidjson::Value& value) {
  YAML::Emitter out;
  emit_yaml(out, value);
  return std::string(out.c_str()) + "\n";
}

void print_document(const rapidjson::Value& value, Format format) {
  std::cout << (format == Format::yaml ? to_yaml_text(value) : to_json_text(value));
}

Table::Table(std::vector<std::string> headers) {
  m_rows.push_back(std::move(headers));
}

void Table::add(std::vector<std::string> row) {
  m_rows.push_back(std::move(row));
}

std::string Table::render(bool colour) const {
  std::vector<std::size_t> widths(m_rows.front().size(), 0);
  for (const auto& row : m_rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  std::string out;
  for (std::size_t r = 0; r < m_rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < m_rows[r].size() && i < widths.size(); ++i) {
      const auto& cell = m_rows[r][i];
      bool last = i + 1 == m_rows[r].size();
      line += cell;
      if (!last) {
        line += std::string(widths[i] - display_width(cell) + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += r == 0 && colour ? "\x1b[1m" + line + "\x1b[0m\n" : line + "\n";
  }
  return out;
}

std::string status_text(std::string_view status, bool colour) {
  std::string text(status);
  if (!colour) {
    return text;
  }
  const char* code = "0";
  if (status == "succeeded") {
    code = "32"; // green
  } else if (status == "failed") {
    code = "31"; // red
  } else if (status == "errored" || status == "timed_out") {
    code = "35"; // magenta
  } else if (status == "running") {
    code = "36"; // cyan
  } else if (status == "queued" || status == "aborted") {
    code = "33"; // yellow
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

namespace {

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS(.fff)Z"; -1 when unreadable.
std::int64_t iso_ms(std::string_view iso) {
  std::tm tm{};
  int millis = 0;
  std::string text(iso);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) < 6) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + millis;
}

} // namespace

std::string duration_between(std::string_view from, std::string_view to) {
  auto start = iso_ms(from);
  auto end = iso_ms(to);
  if (start < 0 || end < start) {
    return "";
  }
  auto ms = end - start;
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  }
  auto seconds = ms / 1000;
  if (seconds < 3600) {
    return fmt::format("{}m {}s", seconds / 60, seconds % 60);
  }
  return fmt::format("{}h {}m", seconds / 3600, seconds % 3600 / 60);
}

std::string short_time(std::string_view iso) {
  if (iso.size() < 19) {
    return "";
  }
  auto text = std::string(iso.substr(0, 19));
  text[10] = ' ';
  return text;
}

std::string human_size(std::int64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string ConsoleFilter::feed(std::string_view bytes) {
  std::string input = m_pending + std::string(bytes);
  m_pending.clear();
  std::string out;
  out.reserve(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    if (c != '\x1b') {
      // Other C0 controls that move the cursor or ring bells go too; text, tabs, newlines
      // and carriage returns (progress lines) stay.
      bool harmful =
          (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') ||
          c == '\x7f';
      if (!harmful) {
        out += c;
      }
      continue;
    }
    // ESC [ params final: a CSI sequence; ESC ] … BEL or ESC \: an OSC; ESC x: two bytes.
    std::size_t end = i + 1;
    if (end >= input.size()) {
      m_pending = input.substr(i);
      break;
    }
    if (input[end] == '[') {
      ++end;
      while (end < input.size() && (input[end] < 0x40 || input[end] > 0x7e)) {
        ++end;
      }
      if (end >= input.size()) {
        if (input.size() - i < 64) {
          m_pending = input.substr(i);
        }
        break;
      }
      if (m_keep_colour && input[end] == 'm') {
        out.append(input, i, end - i + 1);
      }
      i = end;
    } else if (input[end] == ']') {
      auto bel = input.find('\x07', end);
      auto st = input.find("\x1b\\", end);
      auto stop = std::min(bel, st == std::string::npos ? st : st + 1);
      if (stop == std::string::npos) {
        if (input.size() - i < 4096) {
          m_pending = input.substr(i);
        }
        break;
      }
      i = stop;
    } else {
      i = end;
    }
  }
  return out;
}

std::string ConsoleFilter::flush() {
  m_pending.clear(); // an unfinished sequence at the very end is dropped
  return {};
}

std::string string_of(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsString()) {
    return "";
  }
  return std::string(object[name].GetString(), object[name].GetStringLength());
}

} // namespace cicd::ctl

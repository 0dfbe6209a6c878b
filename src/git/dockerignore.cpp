#include "dockerignore.hpp"

#include <optional>

namespace cicd::git {
namespace {

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// "./a//b/" → "a/b", as Docker cleans a pattern before it matches.
std::string clean(std::string_view pattern) {
  std::string out;
  std::size_t at = 0;
  while (at <= pattern.size()) {
    auto end = pattern.find('/', at);
    auto segment = pattern.substr(at, end == std::string_view::npos ? pattern.npos : end - at);
    if (!segment.empty() && segment != ".") {
      out += (out.empty() ? "" : "/") + std::string(segment);
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return out;
}

// The pattern as a regular expression over a whole path; nullopt for an unclosed class.
std::optional<std::string> to_regex(const std::string& pattern) {
  std::string regex;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == '/') {
        ++i;
        regex += "(.*/)?"; // "**/" : any number of directories, none included
      } else {
        regex += ".*";
      }
    } else if (c == '*') {
      regex += "[^/]*";
    } else if (c == '?') {
      regex += "[^/]";
    } else if (c == '[') {
      auto close = pattern.find(']', i + 1);
      if (close == std::string::npos) {
        return std::nullopt;
      }
      std::string members = pattern.substr(i + 1, close - i - 1);
      if (!members.empty() && (members[0] == '!' || members[0] == '^')) {
        members[0] = '^';
      }
      regex += "[" + members + "]";
      i = close;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      regex += '\\';
      regex += pattern[++i];
    } else {
      if (std::string_view(".^$|()+{}\\").find(c) != std::string_view::npos) {
        regex += '\\';
      }
      regex += c;
    }
  }
  return regex;
}

} // namespace

DockerIgnore DockerIgnore::parse(std::string_view text) {
  DockerIgnore ignore;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    bool exception = line.front() == '!';
    if (exception) {
      line = trim(line.substr(1));
    }
    auto pattern = clean(line);
    auto regex = to_regex(pattern);
    if (pattern.empty() || !regex) {
      continue;
    }
    try {
      ignore.m_patterns.push_back(Pattern{std::regex(*regex, std::regex::nosubs), exception});
    } catch (const std::regex_error&) {
      continue; // a class std::regex does not take: the line is left out
    }
    ignore.m_has_exceptions = ignore.m_has_exceptions || exception;
  }
  return ignore;
}

bool DockerIgnore::excludes(std::string_view path) const {
  bool excluded = false;
  for (const auto& pattern : m_patterns) {
    // The path itself or one of its parent directories.
    bool matched = false;
    for (auto end = path.size(); !matched && end != std::string_view::npos;
         end = end == 0 ? std::string_view::npos : path.rfind('/', end - 1)) {
      auto prefix = path.substr(0, end);
      matched = !prefix.empty() && std::regex_match(prefix.begin(), prefix.end(), pattern.regex);
    }
    if (matched) {
      excluded = !pattern.exception;
    }
  }
  return excluded;
}

} // namespace cicd::git

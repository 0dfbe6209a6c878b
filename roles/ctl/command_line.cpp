#include "command_line.hpp"

#include "ctl_error.hpp"

#include <algorithm>

namespace cicd::ctl {

CommandLine::CommandLine(const std::vector<std::string>& words,
                         const std::vector<std::string>& value_flags) {
  auto takes_value = [&](const std::string& name) {
    return std::find(value_flags.begin(), value_flags.end(), name) != value_flags.end();
  };
  bool only_positionals = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& word = words[i];
    if (only_positionals || word.size() < 2 || word[0] != '-') {
      m_positionals.push_back(word);
      continue;
    }
    if (word == "--") {
      only_positionals = true;
      continue;
    }
    auto equals = word.find('=');
    auto name = word.substr(0, equals);
    if (equals != std::string::npos) {
      m_flags.emplace(name, std::pair(i, word.substr(equals + 1)));
    } else if (takes_value(name)) {
      if (i + 1 >= words.size()) {
        throw usage_error(name + " needs a value");
      }
      m_flags.emplace(name, std::pair(i, words[++i]));
    } else {
      m_flags.emplace(name, std::pair(i, std::string()));
    }
  }
}

std::string CommandLine::take(const std::string& what) {
  auto next = take_optional();
  if (!next) {
    throw usage_error("missing " + what);
  }
  return *next;
}

std::optional<std::string> CommandLine::take_optional() {
  if (m_taken_positionals >= m_positionals.size()) {
    return std::nullopt;
  }
  return m_positionals[m_taken_positionals++];
}

std::optional<std::string> CommandLine::value(std::initializer_list<const char*> names) {
  auto all = values(names);
  if (all.empty()) {
    return std::nullopt;
  }
  return all.back();
}

std::vector<std::string> CommandLine::values(std::initializer_list<const char*> names) {
  std::vector<std::pair<std::size_t, std::string>> found;
  for (const auto* name : names) {
    auto [first, last] = m_flags.equal_range(name);
    for (auto it = first; it != last; ++it) {
      found.push_back(it->second);
    }
    m_flags.erase(name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> values;
  for (auto& [order, value] : found) {
    values.push_back(std::move(value));
  }
  return values;
}

bool CommandLine::has(std::initializer_list<const char*> names) {
  return !values(names).empty();
}

void CommandLine::finish() const {
  if (!m_flags.empty()) {
    throw usage_error("unknown option " + m_flags.begin()->first);
  }
  if (m_taken_positionals < m_positionals.size()) {
    throw usage_error("unexpected argument '" + m_positionals[m_taken_positionals] + "'");
  }
}

} // namespace cicd::ctl

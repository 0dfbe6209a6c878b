#pragma once
// The words after `cicd ctl`: positionals and --flags, read by each command for what it
// declares. A flag the command does not know, a missing value or a missing positional is a
// usage error (exit 3).

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cicd::ctl {

class CommandLine {
public:
  // `value_flags`: flags that take a value ("--server", "-o", "-p"); every other --flag is a
  // switch. Both "--flag value" and "--flag=value" are read.
  CommandLine(const std::vector<std::string>& words, const std::vector<std::string>& value_flags);

  // Removes and returns the next positional; a usage error naming `what` when there is none.
  std::string take(const std::string& what);
  std::optional<std::string> take_optional();
  // The last value of a flag (given under any of its names), removed.
  std::optional<std::string> value(std::initializer_list<const char*> names);
  // Every value of a repeated flag, in order, removed.
  std::vector<std::string> values(std::initializer_list<const char*> names);
  bool has(std::initializer_list<const char*> names);
  // A usage error for anything not taken yet.
  void finish() const;

private:
  std::vector<std::string> m_positionals;
  std::multimap<std::string, std::pair<std::size_t, std::string>> m_flags; // name → (order, value)
  std::size_t m_taken_positionals = 0;
};

} // namespace cicd::ctl

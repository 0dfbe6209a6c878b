#pragma once
// A build context's .dockerignore, with Docker's rules: one pattern a line, `#` comments,
// `*` and `?` within a path segment, `**` across segments, `[…]` classes, `!` re-includes, the
// last matching line decides, and a pattern that matches a directory excludes what is in it.
// Private to src/git.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::git {

// Thread safety: immutable after parse(); const members may be called concurrently.
class DockerIgnore {
public:
  // Lines that are not valid patterns (an unclosed '[') are left out.
  static DockerIgnore parse(std::string_view text);

  // Whether `path` (relative to the context, '/'-separated) is left out of the context.
  bool excludes(std::string_view path) const;
  // Whether some line re-includes ('!'): a left-out directory may then hold kept files.
  bool has_exceptions() const { return m_has_exceptions; }
  bool empty() const { return m_patterns.empty(); }

private:
  struct Pattern {
    std::regex regex;
    bool exception = false;
  };
  std::vector<Pattern> m_patterns;
  bool m_has_exceptions = false;
};

} // namespace cicd::git

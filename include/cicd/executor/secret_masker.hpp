#pragma once
// Replaces secret values in a console stream with "***", also when a value is split across
// two reads. Multi-line values are masked line by line, since a program may print them with
// other line endings or one line at a time. Each line is also masked as JSON escapes it and
// as base64 encodes it, and the whole value as base64 encodes it (the rule in full:
// src/executor/secret_masker_forms.hpp, docs/config.md "Masking").
//
// To see a value split across reads, the masker holds back the last (longest form − 1)
// bytes of what it was fed until more output (or finish()) shows they are not a secret.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::executor {

// Values shorter than this are refused when they are stored (masking them would turn the
// console into noise) and ignored here.
inline constexpr std::size_t k_min_secret_length = 4;

// Thread safety: none; one per console.
class SecretMasker {
public:
  explicit SecretMasker(const std::vector<std::string>& values);

  // Returns what is safe to show now.
  std::string feed(std::string_view bytes);
  // Returns the held-back rest; call once at the end.
  std::string finish();

private:
  std::string mask_up_to(std::size_t safe_end);

  using Searcher = std::boyer_moore_horspool_searcher<std::string::const_iterator>;
  // Values longest first, so the longest match wins, each with its searcher. On the heap, so
  // that moving the masker keeps the values the searchers point into where they are.
  struct Patterns {
    std::vector<std::string> values;
    std::vector<Searcher> searchers;
  };

  std::size_t find(std::size_t index, std::size_t from) const;

  std::unique_ptr<Patterns> m_patterns;
  std::size_t m_longest = 0;
  std::string m_pending;
};

} // namespace cicd::executor

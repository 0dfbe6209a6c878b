#include "cicd/executor/secret_masker.hpp"

#include "secret_masker_forms.hpp"

#include <algorithm>
#include <iterator>

namespace cicd::executor {

SecretMasker::SecretMasker(const std::vector<std::string>& secrets)
    : m_patterns(std::make_unique<Patterns>()) {
  auto& values = m_patterns->values;
  for (const auto& value : secrets) {
    auto forms = secret_forms(value);
    values.insert(values.end(), std::make_move_iterator(forms.begin()),
                  std::make_move_iterator(forms.end()));
  }
  std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b; // equal ones adjacent
  });
  values.erase(std::unique(values.begin(), values.end()), values.end());
  m_longest = values.empty() ? 0 : values.front().size();
  for (const auto& value : values) {
    m_patterns->searchers.emplace_back(value.begin(), value.end());
  }
}

// The first occurrence of value `index` in m_pending at or after `from`, or npos.
std::size_t SecretMasker::find(std::size_t index, std::size_t from) const {
  auto begin = m_pending.cbegin() + static_cast<std::ptrdiff_t>(from);
  auto found = m_patterns->searchers[index](begin, m_pending.cend()).first;
  return found == m_pending.cend() ? std::string::npos
                                   : static_cast<std::size_t>(found - m_pending.cbegin());
}

std::string SecretMasker::feed(std::string_view bytes) {
  if (m_patterns->values.empty()) {
    return std::string(bytes);
  }
  m_pending.append(bytes);
  auto keep = std::min(m_pending.size(), m_longest - 1);
  return mask_up_to(m_pending.size() - keep);
}

std::string SecretMasker::finish() {
  return mask_up_to(m_pending.size());
}

// Emits m_pending[0, safe_end) with every value masked. A match may start before safe_end and
// run past it; it is then masked whole and the emitted part grows to its end.
std::string SecretMasker::mask_up_to(std::size_t safe_end) {
  const auto& values = m_patterns->values;
  std::string out;
  out.reserve(safe_end);
  std::size_t position = 0;
  // The next occurrence of each value at or after `position` (npos: none left).
  std::vector<std::size_t> next(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    next[i] = find(i, 0);
  }
  while (position < safe_end) {
    std::size_t best = std::string::npos;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (next[i] != std::string::npos && next[i] < position) {
        next[i] = find(i, position);
      }
      if (next[i] < best) { // values are longest first, so ties keep the longest
        best = next[i];
        best_index = i;
      }
    }
    if (best == std::string::npos || best >= safe_end) {
      out.append(m_pending, position, safe_end - position);
      position = safe_end;
      break;
    }
    out.append(m_pending, position, best - position);
    out += "***";
    position = best + values[best_index].size();
  }
  m_pending.erase(0, std::max(position, safe_end));
  return out;
}

} // namespace cicd::executor

#include "cicd/executor/secret_masker.hpp"

#include <algorithm>

namespace cicd::executor {

SecretMasker::SecretMasker(const std::vector<std::string>& values) {
  for (const auto& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      auto end = value.find('\n', start);
      if (end == std::string::npos) {
        end = value.size();
      }
      std::string line = value.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.size() >= k_min_secret_length) {
        m_values.push_back(line);
      }
      start = end + 1;
    }
  }
  std::sort(m_values.begin(), m_values.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  m_values.erase(std::unique(m_values.begin(), m_values.end()), m_values.end());
  m_longest = m_values.empty() ? 0 : m_values.front().size();
}

std::string SecretMasker::feed(std::string_view bytes) {
  if (m_values.empty()) {
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
  std::string out;
  out.reserve(safe_end);
  std::size_t position = 0;
  // The next occurrence of each value at or after `position` (npos: none left).
  std::vector<std::size_t> next(m_values.size());
  for (std::size_t i = 0; i < m_values.size(); ++i) {
    next[i] = m_pending.find(m_values[i]);
  }
  while (position < safe_end) {
    std::size_t best = std::string::npos;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i < m_values.size(); ++i) {
      if (next[i] != std::string::npos && next[i] < position) {
        next[i] = m_pending.find(m_values[i], position);
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
    position = best + m_values[best_index].size();
  }
  m_pending.erase(0, std::max(position, safe_end));
  return out;
}

} // namespace cicd::executor

#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace cicd::master {
namespace {
constexpr std::size_t k_forget_above = 10000; // subjects kept before full buckets are dropped
} // namespace

RateLimiter::RateLimiter(double per_second, double burst)
    : m_per_second(per_second), m_burst(std::max(1.0, burst)) {}

std::int64_t RateLimiter::take(const std::string& subject, Clock::time_point now) {
  if (m_per_second <= 0) {
    return 0;
  }
  std::lock_guard lock(m_mutex);
  if (m_buckets.size() > k_forget_above) {
    // A bucket that has filled up again is the same as no bucket: drop those.
    std::erase_if(m_buckets, [&](const auto& entry) {
      auto idle = std::chrono::duration<double>(now - entry.second.updated).count();
      return entry.second.tokens + idle * m_per_second >= m_burst;
    });
  }
  auto [found, inserted] = m_buckets.try_emplace(subject, Bucket{m_burst, now});
  auto& bucket = found->second;
  if (!inserted) {
    auto elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(m_burst, bucket.tokens + std::max(0.0, elapsed) * m_per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil((1 - bucket.tokens) / m_per_second)));
}

} // namespace cicd::master

#pragma once
// Per-token rate limits: a token bucket for each token subject, refilled at `per_second` up to
// `burst`. Subjects not seen for a while are forgotten so that memory stays bounded.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cicd::master {

// Thread safety: take() may be called from any thread.
class RateLimiter {
public:
  using Clock = std::chrono::steady_clock;

  // per_second 0: no limit.
  RateLimiter(double per_second, double burst);

  // Takes one request of `subject`. Returns 0 when it may go on, else the whole seconds to
  // wait before the next one would be allowed (for Retry-After), at least 1.
  std::int64_t take(const std::string& subject, Clock::time_point now = Clock::now());
  bool enabled() const { return m_per_second > 0; }

private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };

  double m_per_second;
  double m_burst;
  std::mutex m_mutex;
  std::unordered_map<std::string, Bucket> m_buckets;
};

} // namespace cicd::master

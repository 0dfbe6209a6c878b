#pragma once
// cicd_http_requests_total{route, method, code}: the requests this master process answered.
// Labels stay bounded: the route is its pattern ("/jobs/{job}/runs") or "unmatched", never
// the raw path; a method Beast does not know is "other".

#include "cicd/http/message.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <string_view>

namespace cicd::master {

// Thread safety: count() and the registry's Collect() may run concurrently.
class RequestCounts {
public:
  RequestCounts();
  void count(std::string_view route, http::Verb method, unsigned code);
  const prometheus::Registry& registry() const { return m_registry; }

private:
  prometheus::Registry m_registry;
  prometheus::Family<prometheus::Counter>& m_requests;
};

} // namespace cicd::master

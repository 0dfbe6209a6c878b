#include "request_counts.hpp"

#include <string>

namespace cicd::master {

RequestCounts::RequestCounts()
    : m_requests(prometheus::BuildCounter()
                     .Name("cicd_http_requests_total")
                     .Help("HTTP requests this master answered, by route pattern, method and "
                           "status code")
                     .Register(m_registry)) {}

void RequestCounts::count(std::string_view route, http::Verb method, unsigned code) {
  std::string method_name = "other";
  if (method != http::Verb::unknown) {
    method_name = std::string(boost::beast::http::to_string(method));
  }
  m_requests
      .Add({{"route", std::string(route)},
            {"method", std::move(method_name)},
            {"code", std::to_string(code)}})
      .Increment();
}

} // namespace cicd::master

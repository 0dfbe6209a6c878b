#include "cicd/metrics/exposition.hpp"

#include <prometheus/text_serializer.h>

#include <boost/beast/http/field.hpp>

namespace cicd::metrics {

http::Response exposition_response(const std::vector<const prometheus::Collectable*>& sources) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto* source : sources) {
    auto collected = source->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  http::Response response(http::Status::ok, 11);
  response.set(boost::beast::http::field::content_type, k_content_type);
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.body() = prometheus::TextSerializer().Serialize(families);
  return response;
}

} // namespace cicd::metrics

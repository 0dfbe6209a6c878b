#pragma once
// GET /metrics as both the master and the agent answer it: metric families in the Prometheus
// text exposition format, version 0.0.4 (prometheus-cpp's serializer).

#include "cicd/http/message.hpp"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string_view>
#include <vector>

namespace cicd::metrics {

inline constexpr std::string_view k_content_type = "text/plain; version=0.0.4; charset=utf-8";

// 200 with every family the sources hold, in order, and Cache-Control: no-store.
http::Response exposition_response(const std::vector<const prometheus::Collectable*>& sources);

} // namespace cicd::metrics

#pragma once
// What the route handlers share: reading path captures and headers, and writing documents.
// Each reader throws ErrorException (invalid_input naming the field) on bad input; Api turns
// that into problem+json.

#include "cicd/http/message.hpp"
#include "cicd/http/router.hpp"
#include "cicd/model/run.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace cicd::master {

// The {job} capture, checked against the job-name rule.
std::string job_name(const http::RouteMatch& match);
// The {id} capture: a positive integer.
std::int64_t run_id(const http::RouteMatch& match);
// A capture that is only looked up (an agent id, a host name): 1 to 255 bytes of UTF-8
// without control characters, else invalid_input naming `name`. Such bytes can name nothing
// stored, and PostgreSQL refuses invalid UTF-8 (a 500) and cuts text at a NUL.
std::string text_capture(const http::RouteMatch& match, std::string_view name);
// The page size a list route serves: ?limit=N, default 50, clamped to 200.
std::int64_t page_limit(const http::Target& target);

// An integer query parameter within [min, max]; values above max are clamped.
std::optional<std::int64_t> integer_param(const http::Target& target, std::string_view name,
                                          std::int64_t min, std::int64_t max);

// An entity tag header value without quotes or W/ ("*" stays "*"); nullopt when absent.
std::optional<std::string> etag_header(const http::Request& request, boost::beast::http::field f);
std::string quote_etag(const std::string& etag);

// Throws ErrorException if `result` holds an Error, else returns its value.
template <class T>
T value_or_throw(Result<T> result) {
  if (!result) {
    throw ErrorException(result.error());
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*result);
  }
}

// The run document with the caching rules of DESIGN.md: a terminal run is immutable, so it
// carries an ETag and may be cached; a queued or running one must not be.
http::Response run_response(http::Status status, const model::Run& run,
                            const http::Request& request);

} // namespace cicd::master

#include "request_helpers.hpp"

#include "cicd/crypto/digest.hpp"
#include "cicd/model/names.hpp"

#include <charconv>

namespace cicd::master {

std::string job_name(const http::RouteMatch& match) {
  std::string name(match.capture("job"));
  value_or_throw(model::check_job_name(name, "job"));
  return name;
}

std::int64_t run_id(const http::RouteMatch& match) {
  auto text = match.capture("id");
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    throw ErrorException(
        make_error(ErrorCode::invalid_input, "run ids are positive integers", "id"));
  }
  return id;
}

std::int64_t page_limit(const http::Target& target) {
  constexpr std::int64_t k_default_page = 50;
  constexpr std::int64_t k_max_page = 200;
  return integer_param(target, "limit", 1, k_max_page).value_or(k_default_page);
}

std::optional<std::int64_t> integer_param(const http::Target& target, std::string_view name,
                                          std::int64_t min, std::int64_t max) {
  auto it = target.query.find(std::string(name));
  if (it == target.query.end()) {
    return std::nullopt;
  }
  const auto& text = it->second;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && !text.empty() && text.front() != '-') {
    return max;
  }
  if (ec != std::errc() || end != text.data() + text.size() || value < min) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "'" + std::string(name) + "' must be an integer of at least " +
                                        std::to_string(min),
                                    std::string(name)));
  }
  return std::min(value, max);
}

std::optional<std::string> etag_header(const http::Request& request, boost::beast::http::field f) {
  auto it = request.find(f);
  if (it == request.end()) {
    return std::nullopt;
  }
  std::string value(it->value());
  if (value.starts_with("W/")) {
    value = value.substr(2);
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

std::string quote_etag(const std::string& etag) {
  return "\"" + etag + "\"";
}

http::Response run_response(http::Status status, const model::Run& run,
                            const http::Request& request) {
  auto body = model::to_json(run);
  namespace field = boost::beast::http;
  if (!model::is_terminal(run.status)) {
    auto response = http::json_response(status, std::move(body));
    response.set(field::field::cache_control, "no-store");
    return response;
  }
  auto etag = crypto::sha256_hex(body).substr(0, 32);
  if (etag_header(request, field::field::if_none_match) == etag) {
    http::Response response(http::Status::not_modified, 11);
    response.set(field::field::etag, quote_etag(etag));
    response.set(field::field::cache_control, "private, max-age=3600");
    return response;
  }
  auto response = http::json_response(status, std::move(body));
  response.set(field::field::etag, quote_etag(etag));
  response.set(field::field::cache_control, "private, max-age=3600");
  return response;
}

} // namespace cicd::master

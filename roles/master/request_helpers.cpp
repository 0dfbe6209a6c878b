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

namespace {

// Whether `text` is UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) without
// control characters.
bool is_printable_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7f) {
        return false;
      }
      ++i;
      continue;
    }
    std::size_t extra = byte >= 0xc2 && byte <= 0xdf   ? 1
                        : byte >= 0xe0 && byte <= 0xef ? 2
                        : byte >= 0xf0 && byte <= 0xf4 ? 3
                                                       : 0;
    if (extra == 0 || i + extra >= text.size()) {
      return false;
    }
    auto second = static_cast<unsigned char>(text[i + 1]);
    bool second_ok = (byte == 0xe0   ? second >= 0xa0
                      : byte == 0xed ? second <= 0x9f
                      : byte == 0xf0 ? second >= 0x90
                      : byte == 0xf4 ? second <= 0x8f
                                     : true) &&
                     (second & 0xc0) == 0x80;
    if (!second_ok) {
      return false;
    }
    for (std::size_t k = 2; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
        return false;
      }
    }
    i += extra + 1;
  }
  return true;
}

} // namespace

std::string text_capture(const http::RouteMatch& match, std::string_view name) {
  std::string text(match.capture(name));
  if (text.empty() || text.size() > 255 || !is_printable_utf8(text)) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "must be 1 to 255 bytes of UTF-8 text without control "
                                    "characters",
                                    std::string(name)));
  }
  return text;
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

#pragma once
// HTTP messages as the API handles them, and the responses every route builds.

#include "cicd/core/error.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Status = boost::beast::http::status;
using Verb = boost::beast::http::verb;

// What a handler answers: a whole response, or (when `next_chunk` is set) the response's
// headers followed by a body streamed with chunked encoding. The server calls next_chunk on
// its handler pool until it returns nullopt; an empty string means "nothing yet", and the
// server asks again after a short pause without holding a pool thread.
struct Reply {
  Reply(Response r) : response(std::move(r)) {} // NOLINT: every Response is a Reply
  Reply(Response r, std::function<std::optional<std::string>()> next)
      : response(std::move(r)), next_chunk(std::move(next)) {}
  Response response;
  std::function<std::optional<std::string>()> next_chunk;
};

Response json_response(Status status, std::string body);

// An RFC 9457 application/problem+json response:
// {"type", "title", "status", "detail"[, "field"]}.
Response problem_response(Status status, std::string_view detail, std::string_view field = {});

// The status an Error maps to (invalid_input → 400, not_found → 404, …) and its response.
Status status_for(ErrorCode code);
Response problem_response(const Error& error);

} // namespace cicd::http

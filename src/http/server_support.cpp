#include "server_support.hpp"

#include "cicd/core/log.hpp"

#include <boost/beast/http/error.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

namespace cicd::http {
namespace asio = boost::asio;
namespace beast = boost::beast;

// GCC 12 destroys temporaries inside a co_await expression twice (a heap corruption seen
// under load), so every argument of a co_await here is a named local passed by reference.
asio::awaitable<Reply> handle_on_pool(asio::thread_pool& pool, const Handler& handler,
                                      const std::shared_ptr<Request>& request) {
  std::function<Reply()> work = [&handler, request]() -> Reply {
    try {
      return handler(std::move(*request));
    } catch (const std::exception& e) {
      log::error("request handler failed: {}", e.what());
      return problem_response(Status::internal_server_error,
                              "the server failed to handle this request; the error is in its "
                              "log");
    }
  };
  Reply reply = co_await run_on_pool<Reply>(pool, work);
  co_return reply;
}

namespace {

// "1 MiB", "16 KiB", "1500 bytes": a limit as people read it.
std::string bytes_text(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) {
    return fmt::format("{} MiB", bytes / (1024 * 1024));
  }
  if (bytes % 1024 == 0) {
    return fmt::format("{} KiB", bytes / 1024);
  }
  return fmt::format("{} bytes", bytes);
}

} // namespace

Response parse_error_response(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == beast::http::error::body_limit) {
    return problem_response(Status::payload_too_large,
                            fmt::format("the request body is larger than the {} limit",
                                        bytes_text(options.body_limit)));
  }
  if (ec == beast::http::error::header_limit) {
    return problem_response(Status::request_header_fields_too_large,
                            fmt::format("the request headers are larger than the {} limit",
                                        bytes_text(options.header_limit)));
  }
  return problem_response(Status::bad_request, "malformed HTTP request: " + ec.message());
}

void raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

} // namespace cicd::http

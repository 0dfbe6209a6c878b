#pragma once
// What the HTTP server needs besides its sessions: handlers run on a thread pool, the answers
// to requests that do not parse, and the open-files limit.

#include "cicd/http/server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <functional>
#include <memory>

namespace cicd::http {

// Runs `work` on `pool` and resumes the awaiting coroutine on its own executor with the
// result.
template <class T>
boost::asio::awaitable<T> run_on_pool(boost::asio::thread_pool& pool,
                                      const std::function<T()>& work) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto initiation = [&pool, executor](auto completion, std::function<T()> task) {
    boost::asio::post(pool, [executor, completion = std::move(completion),
                             task = std::move(task)]() mutable {
      auto value = task();
      boost::asio::post(executor,
                        [completion = std::move(completion), value = std::move(value)]() mutable {
                          std::move(completion)(std::move(value));
                        });
    });
  };
  std::function<T()> task = work;
  T result = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(T)>(
      initiation, boost::asio::use_awaitable, std::move(task));
  co_return result;
}

// Runs the handler on the pool; an exception becomes a 500 (and is logged), never a crash.
boost::asio::awaitable<Reply> handle_on_pool(boost::asio::thread_pool& pool, const Handler& handler,
                                             const std::shared_ptr<Request>& request);

// The problem+json answer to a request that could not be read: 413, 431 or 400.
Response parse_error_response(const boost::beast::error_code& ec, const ServerOptions& options);

// Lets a server hold many idle connections: raise the soft open-files limit to the hard one.
void raise_open_files_limit();

} // namespace cicd::http

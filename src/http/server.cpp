#include "cicd/http/server.hpp"

#include "forwarded.hpp"
#include "server_support.hpp"
#include "tls_context.hpp"

#include "cicd/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <csignal>
#include <thread>

namespace cicd::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto k_use_tuple = asio::as_tuple(asio::use_awaitable);

} // namespace

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The TCP stream under a plain or a TLS stream: where the deadlines are set.
template <class Stream>
beast::tcp_stream& transport(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<TlsContext> tls; // null: plain HTTP
  TrustedProxies proxies;
  asio::io_context io;
  asio::thread_pool pool;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> refusing{0};

  Impl(ServerOptions opts, Handler h)
      : options(std::move(opts)), handler(std::move(h)),
        tls(options.tls.enabled()
                ? std::make_unique<TlsContext>(options.tls.cert_file, options.tls.key_file)
                : nullptr),
        proxies(options.trusted_proxies),
        io(options.io_threads > 0 ? options.io_threads
                                  : static_cast<int>(std::thread::hardware_concurrency())),
        pool(static_cast<std::size_t>(options.handler_threads)), acceptor(io), signals(io) {}

  // Counts the session while it lives.
  struct Open {
    std::atomic<std::size_t>& count;
    explicit Open(std::atomic<std::size_t>& c) : count(c) { ++count; }
    ~Open() { --count; }
    Open(const Open&) = delete;
    Open& operator=(const Open&) = delete;
  };

  // Requests and responses on one connection until it closes, fails or times out.
  template <class Stream>
  asio::awaitable<void> serve_requests(Stream& stream, bool over_tls, bool trusted_peer) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::http::request_parser<beast::http::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      if (buffer.size() == 0) {
        // An idle connection waits for the next request's first byte this long...
        transport(stream).expires_after(options.idle_timeout);
        auto [idle_ec, got] = co_await stream.async_read_some(buffer.prepare(4096), k_use_tuple);
        if (idle_ec) {
          break;
        }
        buffer.commit(got);
      }
      // ...and then the whole request must arrive within the read timeout.
      transport(stream).expires_after(options.read_timeout);
      auto [read_ec, read_bytes] =
          co_await beast::http::async_read_header(stream, buffer, parser, k_use_tuple);
      if (!read_ec && parser.get()[beast::http::field::expect] == "100-continue") {
        // curl sends this for bodies over 1 KiB and would otherwise wait a second.
        beast::http::response<beast::http::empty_body> go_on(Status::continue_, 11);
        co_await beast::http::async_write(stream, go_on, k_use_tuple);
      }
      if (!read_ec && !parser.is_done()) {
        std::tie(read_ec, read_bytes) =
            co_await beast::http::async_read(stream, buffer, parser, k_use_tuple);
      }
      (void)read_bytes;
      if (read_ec == beast::http::error::end_of_stream || read_ec == beast::error::timeout ||
          read_ec == asio::error::connection_reset || read_ec == asio::error::eof ||
          read_ec == asio::error::operation_aborted ||
          read_ec.category() == asio::error::get_ssl_category() ||
          read_ec == asio::ssl::error::stream_truncated) {
        break;
      }
      bool keep_alive = false;
      bool https = over_tls;
      Reply reply(Response{});
      if (read_ec) {
        reply = parse_error_response(read_ec, options);
      } else {
        auto request = std::make_shared<Request>(parser.release());
        keep_alive = request->keep_alive();
        settle_forwarded_headers(*request, over_tls, trusted_peer);
        https = request_is_https(*request);
        reply = co_await handle_on_pool(pool, handler, request);
      }
      if (https) {
        make_cookies_secure(reply.response);
      }
      if (reply.next_chunk) {
        if (!co_await stream_body(stream, reply, keep_alive) || !keep_alive) {
          break;
        }
        continue;
      }
      auto& response = reply.response;
      response.version(11);
      response.keep_alive(keep_alive);
      response.prepare_payload();
      transport(stream).expires_after(options.write_timeout);
      auto [write_ec, written] = co_await beast::http::async_write(stream, response, k_use_tuple);
      (void)written;
      if (write_ec || !keep_alive) {
        break;
      }
    }
  }

  asio::awaitable<void> plain_session(tcp::socket socket, bool trusted_peer) {
    Open open(connections);
    beast::tcp_stream stream(std::move(socket));
    co_await serve_requests(stream, false, trusted_peer);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // The handshake gets the read timeout: a client stalling in it is cut off like one trickling
  // a request. A failed handshake (plain HTTP, an old TLS version) just closes the connection.
  asio::awaitable<bool> handshake(TlsStream& stream) {
    transport(stream).expires_after(options.read_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, k_use_tuple);
    co_return !ec;
  }

  // Sends close_notify (and waits a moment for the client's) before the connection closes.
  asio::awaitable<void> close_tls(TlsStream& stream) {
    transport(stream).expires_after(std::chrono::seconds(2));
    auto [ec] = co_await stream.async_shutdown(k_use_tuple);
    (void)ec;
  }

  asio::awaitable<void> tls_session(tcp::socket socket, bool trusted_peer) {
    Open open(connections);
    auto context = tls->current(); // kept for the connection's life: a reload does not touch it
    TlsStream stream(std::move(socket), *context);
    if (!co_await handshake(stream)) {
      co_return;
    }
    co_await serve_requests(stream, true, trusted_peer);
    co_await close_tls(stream);
  }

  // Sends the reply's headers, then each chunk next_chunk() gives, then the last chunk.
  // Returns false when the connection failed.
  template <class Stream>
  asio::awaitable<bool> stream_body(Stream& stream, Reply& reply, bool keep_alive) {
    beast::http::response<beast::http::empty_body> head(reply.response.result(), 11);
    for (const auto& field : reply.response.base()) {
      head.set(field.name_string(), field.value());
    }
    head.keep_alive(keep_alive);
    head.chunked(true);
    beast::http::response_serializer<beast::http::empty_body> serializer(head);
    transport(stream).expires_after(options.write_timeout);
    auto [head_ec, head_bytes] =
        co_await beast::http::async_write_header(stream, serializer, k_use_tuple);
    (void)head_bytes;
    if (head_ec) {
      co_return false;
    }
    // A failing producer ends the response without its last chunk, so the client sees it
    // cut short rather than complete.
    bool failed = false;
    std::function<std::optional<std::string>()> next = [&reply, &failed] {
      try {
        return reply.next_chunk();
      } catch (const std::exception& e) {
        log::error("streaming a response failed: {}", e.what());
        failed = true;
        return std::optional<std::string>();
      }
    };
    for (;;) {
      std::optional<std::string> chunk =
          co_await run_on_pool<std::optional<std::string>>(pool, next);
      if (failed) {
        co_return false;
      }
      transport(stream).expires_after(options.write_timeout);
      if (!chunk) {
        auto last = beast::http::make_chunk_last();
        auto [ec, n] = co_await asio::async_write(stream, last, k_use_tuple);
        (void)n;
        co_return !ec;
      }
      if (chunk->empty()) {
        // Nothing new yet: wait here, not on the handler pool, so that followers of quiet
        // runs hold no pool thread.
        asio::steady_timer pause(io, std::chrono::milliseconds(300));
        co_await pause.async_wait(k_use_tuple);
        continue;
      }
      auto body = beast::http::make_chunk(asio::buffer(*chunk));
      auto [ec, n] = co_await asio::async_write(stream, body, k_use_tuple);
      (void)n;
      if (ec) {
        co_return false;
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(k_use_tuple);
      if (ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        // Out of file descriptors and the like: wait a little rather than spin.
        log::warn("accepting a connection failed: {}", ec.message());
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(k_use_tuple);
        continue;
      }
      beast::error_code peer_ec;
      auto peer = socket.remote_endpoint(peer_ec);
      bool trusted_peer = !peer_ec && proxies.contains(peer.address());
      if (connections >= options.max_connections) {
        asio::co_spawn(io, refuse(std::move(socket)), asio::detached);
        continue;
      }
      if (tls) {
        asio::co_spawn(io, tls_session(std::move(socket), trusted_peer), asio::detached);
      } else {
        asio::co_spawn(io, plain_session(std::move(socket), trusted_peer), asio::detached);
      }
    }
  }

  template <class Stream>
  asio::awaitable<void> send_refusal(Stream& stream) {
    auto response = problem_response(
        Status::service_unavailable,
        fmt::format("the server holds its maximum of {} connections: retry in a moment",
                    options.max_connections));
    response.set(beast::http::field::retry_after, "1");
    response.keep_alive(false);
    response.prepare_payload();
    transport(stream).expires_after(std::chrono::seconds(2));
    co_await beast::http::async_write(stream, response, k_use_tuple);
  }

  // One connection too many: a 503 that says so, then the connection is closed.
  asio::awaitable<void> refuse(tcp::socket socket) {
    Open open(refusing);
    if (refusing > 64) { // a flood: close without a word
      co_return;
    }
    if (tls) {
      auto context = tls->current();
      TlsStream stream(std::move(socket), *context);
      if (co_await handshake(stream)) {
        co_await send_refusal(stream);
        co_await close_tls(stream);
      }
      co_return;
    }
    beast::tcp_stream stream(std::move(socket));
    co_await send_refusal(stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Reads what the client sends until it closes (a second at most), so that closing does
    // not reset the connection before the client has read the answer.
    char sink[4096];
    stream.expires_after(std::chrono::seconds(1));
    for (;;) {
      auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), k_use_tuple);
      (void)n;
      if (read_ec) {
        break;
      }
    }
  }

  // SIGINT and SIGTERM stop the server; SIGHUP reloads the TLS certificate and key, if any.
  void wait_for_signal() {
    signals.async_wait([this](const beast::error_code& ec, int signal) {
      if (ec) {
        return;
      }
      if (signal != SIGHUP) {
        io.stop();
        return;
      }
      if (!tls) {
        log::info("SIGHUP: nothing to reload (no --tls-cert)");
      } else if (auto failure = tls->reload(); !failure.empty()) {
        log::error("SIGHUP: still serving the previous certificate, the new one does not load: {}",
                   failure);
      } else {
        log::info("SIGHUP: reloaded the TLS certificate {} (SHA-256 {}); open connections keep "
                  "the previous one",
                  options.tls.cert_file, tls->fingerprint());
      }
      wait_for_signal();
    });
  }
};

Server::Server(ServerOptions options, Handler handler)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  raise_open_files_limit();
  auto& impl = *m_impl;
  beast::error_code ec;
  auto address = asio::ip::make_address(impl.options.host, ec);
  if (ec) {
    throw Fatal("--listen: '" + impl.options.host + "' is not an IP address");
  }
  tcp::endpoint endpoint(address, impl.options.port);
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    impl.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw Fatal(fmt::format("cannot listen on {}:{}: {}", impl.options.host, impl.options.port,
                            ec.message()));
  }
}

Server::~Server() {
  m_impl->pool.join();
}

std::uint16_t Server::port() const {
  return m_impl->acceptor.local_endpoint().port();
}

std::string Server::tls_fingerprint() const {
  return m_impl->tls ? m_impl->tls->fingerprint() : std::string();
}

void Server::run() {
  auto& impl = *m_impl;
  impl.signals.add(SIGINT);
  impl.signals.add(SIGTERM);
  // Always caught, so that `systemctl reload` (ExecReload) never ends a server without TLS.
  impl.signals.add(SIGHUP);
  impl.wait_for_signal();
  asio::co_spawn(impl.io, impl.accept_loop(), asio::detached);
  int threads = impl.options.io_threads > 0
                    ? impl.options.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) {
    workers.emplace_back([&impl] { impl.io.run(); });
  }
  impl.io.run();
  for (auto& worker : workers) {
    worker.join();
  }
}

void Server::stop() {
  asio::post(m_impl->io, [this] { m_impl->io.stop(); });
}

} // namespace cicd::http

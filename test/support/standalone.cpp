#include "support/standalone.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cicd::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Runs one asynchronous operation to its end (or the stream's deadline) on `io`.
template <class Start>
beast::error_code run_one(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  bool done = false;
  start([&result, &done](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  io.run();
  return done ? result : beast::error_code(asio::error::timed_out);
}

} // namespace

CicdStandalone::CicdStandalone(StandaloneOptions options)
    : m_dir("cicd-agent-e2e"), m_data_dir(m_dir.path() / "data") {
  if (options.work_dir_tmpfs_bytes > 0) {
    std::filesystem::create_directories(work_dir());
    auto size = fmt::format("size={}", options.work_dir_tmpfs_bytes);
    if (::mount("cicd-test", work_dir().c_str(), "tmpfs", 0, size.c_str()) != 0) {
      throw std::runtime_error(
          fmt::format("cannot mount a tmpfs on {}: {}", work_dir().string(), std::strerror(errno)));
    }
    m_work_dir_mounted = true;
  }
  auto log_file = m_dir.path() / "standalone.log";
  std::vector<std::string> args = {"standalone",
                                   "--data-dir",
                                   m_data_dir.string(),
                                   "--cpu-threshold",
                                   "100",
                                   "--slots",
                                   std::to_string(options.slots),
                                   "--grace",
                                   std::to_string(options.grace_seconds)};
  if (options.cpus > 0) {
    args.insert(args.end(), {"--cpus", fmt::format("{}", options.cpus)});
  }
  if (options.memory_mib > 0) {
    args.insert(args.end(), {"--memory-mib", std::to_string(options.memory_mib)});
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  try {
    m_process = start_serving(std::move(args), log_file, m_port);
  } catch (...) {
    if (m_work_dir_mounted) {
      ::umount2(work_dir().c_str(), MNT_DETACH);
    }
    throw;
  }
}

CicdStandalone::~CicdStandalone() {
  if (m_process) {
    m_process->stop();
  }
  if (m_work_dir_mounted) {
    ::umount2(work_dir().c_str(), MNT_DETACH);
  }
}

pid_t CicdStandalone::pid() const {
  return m_process ? m_process->pid() : -1;
}

std::string CicdStandalone::agent_id() const {
  std::ifstream in(m_data_dir / "agent.id");
  std::string id;
  in >> id;
  return id;
}

const std::string& CicdStandalone::token(const std::string& scope) {
  if (auto it = m_tokens.find(scope); it != m_tokens.end()) {
    return it->second;
  }
  auto result = run_cicd({"standalone", "token", "create", "--data-dir", m_data_dir.string(),
                          "--sub", "e2e-" + scope, "--scope", scope});
  auto token = trim(result.out);
  if (result.exit_code != 0 || token.empty()) {
    throw std::runtime_error("cicd standalone token create failed (exit " +
                             std::to_string(result.exit_code) + "): " + result.err);
  }
  return m_tokens.emplace(scope, token).first->second;
}

int CicdStandalone::stop(std::chrono::milliseconds grace) {
  return m_process->stop(grace);
}

std::string CicdStandalone::log() const {
  return m_process ? m_process->log() : std::string();
}

StreamedResponse stream_get(std::uint16_t port, std::string_view target, const HttpHeaders& headers,
                            const std::function<bool(std::string_view piece)>& on_piece,
                            std::chrono::milliseconds timeout) {
  StreamedResponse response;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  if (run_one(io, [&](auto handler) { stream.async_connect(endpoint, handler); })) {
    return response;
  }
  http::request<http::empty_body> request(http::verb::get,
                                          beast::string_view(target.data(), target.size()), 11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) {
    request.insert(name, value);
  }
  if (run_one(io, [&](auto handler) { http::async_write(stream, request, handler); })) {
    return response;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (run_one(io,
              [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); })) {
    return response;
  }
  response.status = static_cast<int>(parser.get().result_int());
  while (!parser.is_done()) {
    char piece[64 * 1024];
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    auto ec =
        run_one(io, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    auto got = sizeof piece - parser.get().body().size;
    if (got > 0) {
      response.body.append(piece, got);
      if (!on_piece(std::string_view(piece, got))) {
        break;
      }
    }
    if (ec) {
      break;
    }
  }
  response.complete = parser.is_done();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return response;
}

std::uint64_t proc_status_bytes(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  auto prefix = std::string(field) + ":";
  while (std::getline(status, line)) {
    if (line.starts_with(prefix)) {
      std::istringstream value(line.substr(prefix.size()));
      std::uint64_t kib = 0;
      value >> kib; // "VmHWM:    12345 kB"
      return kib * 1024;
    }
  }
  return 0;
}

EngineLock::EngineLock(const std::string& docker_socket, std::chrono::seconds timeout) {
  auto path = fs::temp_directory_path() /
              fmt::format("cicd-agent-e2e-{:016x}.lock", std::hash<std::string>{}(docker_socket));
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (m_fd < 0) {
    throw std::runtime_error("cannot open the engine lock " + path.string());
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(m_fd);
      m_fd = -1;
      throw std::runtime_error(
          fmt::format("another agent test held {} for over {} s", path.string(), timeout.count()));
    }
    std::this_thread::sleep_for(100ms);
  }
}

EngineLock::~EngineLock() {
  if (m_fd >= 0) {
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
  }
}

} // namespace cicd::test

#include "stream_relay.hpp"

#include "cicd/core/log.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace cicd::ui {
namespace {

constexpr std::size_t k_buffer_limit = 1024 * 1024;

struct RelayState {
  std::mutex mutex;
  std::condition_variable room;
  std::string buffer;
  bool done = false;
  bool cancelled = false;
};

// Owned by the Reply: its end means nobody reads any more.
struct RelayReader {
  explicit RelayReader(std::shared_ptr<RelayState> s) : state(std::move(s)) {}
  RelayReader(const RelayReader&) = delete; // one owner: its end cancels the reading
  RelayReader& operator=(const RelayReader&) = delete;
  std::shared_ptr<RelayState> state;
  ~RelayReader() {
    std::lock_guard lock(state->mutex);
    state->cancelled = true;
    state->room.notify_all();
  }
};

} // namespace

std::function<std::optional<std::string>()> relay_stream(http::ClientRequest request) {
  auto state = std::make_shared<RelayState>();
  request.streaming = true;
  std::thread([state, request = std::move(request)] {
    http::Client client;
    auto result = client.perform(request, [&state](std::string_view bytes) {
      std::unique_lock lock(state->mutex);
      state->room.wait(lock,
                       [&] { return state->cancelled || state->buffer.size() < k_buffer_limit; });
      if (state->cancelled) {
        return false;
      }
      state->buffer.append(bytes);
      return true;
    });
    if (result.end == http::ClientResult::End::failed) {
      log::warn("ui: {} could not be relayed: {}", request.url, result.error);
    } else if (result.response.status < 200 || result.response.status >= 300) {
      log::warn("ui: {} answered {}: {}", request.url, result.response.status,
                result.response.body.substr(0, 200));
    }
    std::lock_guard lock(state->mutex);
    state->done = true;
  }).detach();
  auto reader = std::make_shared<RelayReader>(state);
  return [reader]() -> std::optional<std::string> {
    auto& s = *reader->state;
    std::unique_lock lock(s.mutex);
    if (s.buffer.empty()) {
      if (s.done) {
        return std::nullopt;
      }
      return std::string();
    }
    std::string out;
    out.swap(s.buffer);
    s.room.notify_all();
    return out;
  };
}

} // namespace cicd::ui

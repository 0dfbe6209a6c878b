#include "cicd/queue/queue.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

namespace cicd::queue {

std::unique_ptr<Queue> open_amqp_queue(const std::string& url);

namespace {

// Messages wait in memory until an agent in the same process takes them. Nothing is lost on
// a restart because the runs stay queued in the database, where a sweeper finds them. A
// taken message is gone: ack() has nothing to do, and requeue() puts it back in front.
// Thread safety: guarded by m_mutex.
class InprocQueue final : public Queue {
public:
  Result<void> publish(const RunMessage& message) override {
    {
      std::lock_guard lock(m_mutex);
      m_waiting[message.resource_class].push_back(message);
    }
    m_changed.notify_all();
    return {};
  }

  std::optional<Delivery> take(const std::vector<std::string>& resource_classes,
                               std::chrono::milliseconds timeout) override {
    std::unique_lock lock(m_mutex);
    std::deque<RunMessage>* ready = nullptr;
    auto found = [&] {
      for (const auto& resource_class : resource_classes) {
        if (auto& waiting = m_waiting[resource_class]; !waiting.empty()) {
          ready = &waiting;
          return true;
        }
      }
      return false;
    };
    if (!m_changed.wait_for(lock, timeout, found)) {
      return std::nullopt;
    }
    Delivery delivery{std::move(ready->front()), ++m_last_tag};
    ready->pop_front();
    return delivery;
  }

  void ack(const Delivery&) override {}

  void requeue(const Delivery& delivery) override {
    {
      std::lock_guard lock(m_mutex);
      m_waiting[delivery.message.resource_class].push_front(delivery.message);
    }
    m_changed.notify_all();
  }

  Result<void> broadcast(const ControlMessage& message) override {
    std::function<void(const ControlMessage&)> handler;
    {
      std::lock_guard lock(m_mutex);
      handler = m_control;
    }
    if (handler) {
      handler(message);
    }
    return {};
  }

  void on_control(std::function<void(const ControlMessage&)> handler) override {
    std::lock_guard lock(m_mutex);
    m_control = std::move(handler);
  }

  Result<std::int64_t> depth(const std::string& resource_class) override {
    std::lock_guard lock(m_mutex);
    auto found = m_waiting.find(resource_class);
    return found == m_waiting.end() ? 0 : static_cast<std::int64_t>(found->second.size());
  }

  std::int64_t malformed_messages() const override { return 0; } // nothing is encoded

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, std::deque<RunMessage>> m_waiting;
  std::uint64_t m_last_tag = 0;
  std::function<void(const ControlMessage&)> m_control;
};

} // namespace

std::unique_ptr<Queue> open_queue(const std::string& url) {
  if (url == "inproc:" || url == "inproc://") {
    return std::make_unique<InprocQueue>();
  }
  if (url.starts_with("amqp://") || url.starts_with("amqps://")) {
    return open_amqp_queue(url);
  }
  throw Fatal("--queue must be inproc: or amqp://user:password@host:port/vhost");
}

} // namespace cicd::queue

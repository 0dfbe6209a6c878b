#include "cicd/queue/queue.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

namespace cicd::queue {
namespace {

// Messages wait in memory until an agent in the same process takes them. Nothing is lost on
// a restart because the runs stay queued in the database, where a sweeper finds them.
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

  std::optional<RunMessage> take(const std::string& resource_class,
                                 std::chrono::milliseconds timeout) override {
    std::unique_lock lock(m_mutex);
    auto& waiting = m_waiting[resource_class];
    if (!m_changed.wait_for(lock, timeout, [&] { return !waiting.empty(); })) {
      return std::nullopt;
    }
    auto message = std::move(waiting.front());
    waiting.pop_front();
    return message;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, std::deque<RunMessage>> m_waiting;
};

} // namespace

std::unique_ptr<Queue> open_queue(const std::string& url) {
  if (url == "inproc:" || url == "inproc://") {
    return std::make_unique<InprocQueue>();
  }
  if (url.starts_with("amqp://") || url.starts_with("amqps://")) {
    throw Fatal("--queue amqp://… (RabbitMQ) is not built yet; it arrives with the distributed "
                "deployment. Use --queue inproc: for now",
                2);
  }
  throw Fatal("--queue must be inproc: or amqp://host:port/vhost");
}

} // namespace cicd::queue

// The RabbitMQ backend of Queue against a real broker (the node scripts/test starts), and a
// node of the test's own for the restart. Each test uses resource classes no other test uses,
// because ctest runs two tests at a time against the same node.

#include "cicd/queue/queue.hpp"

#include "support/amqp.hpp"
#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace cicd::queue {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous: these bound hangs, they do not measure speed (benchmarks/ does that).
constexpr auto k_take_timeout = 10s;
constexpr auto k_bounded = 15s; // what "fails within a bounded time" may take at most here

class AmqpQueueTest : public ::testing::Test {
protected:
  void SetUp() override { m_url = test::amqp_test_url(); }

  void TearDown() override {
    std::vector<std::string> queues;
    for (const auto& resource_class : m_classes) {
      queues.push_back("cicd.runs." + resource_class);
    }
    test::delete_queues(m_url, queues);
  }

  std::string new_class(std::string_view prefix = "amqp") {
    m_classes.push_back(test::unique_resource_class(prefix));
    return m_classes.back();
  }

  std::unique_ptr<Queue> open() { return open_queue(m_url); }

  std::string m_url;
  std::vector<std::string> m_classes;
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  auto until = Clock::now() + limit;
  while (!predicate()) {
    if (Clock::now() > until) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Control messages every handler received, for waiting on them from the test's thread.
class ControlLog {
public:
  std::function<void(const ControlMessage&)> handler() {
    return [this](const ControlMessage& message) {
      std::lock_guard lock(m_mutex);
      m_received.push_back(message);
      m_changed.notify_all();
    };
  }

  bool wait_for(const ControlMessage& message, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, limit, [&] {
      return std::find(m_received.begin(), m_received.end(), message) != m_received.end();
    });
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<ControlMessage> m_received;
};

TEST(AmqpUrl, RefusesMalformedUrlsWithAFatalSayingWhy) {
  const std::map<std::string, std::string> refused = {
      {"amqp://", "names no host"},
      {"amqp://guest:guest@localhost:99999/%2F", "port"},
      {"amqp://guest:guest@localhost:0/%2F", "port"},
      {"amqp://guest:guest@localhost/a/b", "%2F"},
      {"amqps://guest:guest@localhost/%2F", "amqps"},
      {"amqp://guest:guest@localhost/%2F?heartbeat=5", "query"},
      {"amqp://:secret@localhost/%2F", "user"},
      {"amqp://guest:guest@local host/%2F", "not a valid URL"},
  };
  for (const auto& [url, reason] : refused) {
    try {
      open_queue(url);
      ADD_FAILURE() << url << " was accepted";
    } catch (const Fatal& e) {
      std::string message = e.what();
      EXPECT_NE(message.find(reason), std::string::npos) << url << ": " << message;
      EXPECT_EQ(message.find("secret"), std::string::npos) << "the password leaked: " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(AmqpUnreachable, OpensAndFailsFastWhileTheBrokerIsDown) {
  // Nothing listens on port 1: the connection is refused at once, as when RabbitMQ is down.
  auto queue = open_queue("amqp://guest:guest@127.0.0.1:1/%2F");
  auto started = Clock::now();
  auto published = queue->publish(RunMessage{1, "build", "default"});
  EXPECT_ERROR(published, ErrorCode::unavailable);
  EXPECT_FALSE(queue->take({"default"}, 200ms).has_value());
  EXPECT_ERROR(queue->depth("default"), ErrorCode::unavailable);
  EXPECT_ERROR(queue->broadcast(ControlMessage{ControlMessage::Kind::abort_run, 1, {}}),
               ErrorCode::unavailable);
  EXPECT_LT(Clock::now() - started, k_bounded);
  if (!published) {
    EXPECT_NE(published.error().message.find("127.0.0.1:1"), std::string::npos)
        << published.error().message;
  }
}

TEST_F(AmqpQueueTest, PublishedMessageIsTakenAndAcked) {
  auto resource_class = new_class();
  auto queue = open();
  RunMessage sent{42, "unit-test", resource_class};
  ASSERT_OK(queue->publish(sent));

  auto delivery = queue->take({new_class("other"), resource_class}, k_take_timeout);
  ASSERT_TRUE(delivery.has_value());
  EXPECT_EQ(delivery->message, sent);
  queue->ack(*delivery);

  EXPECT_FALSE(queue->take({resource_class}, 300ms).has_value());
  auto depth = queue->depth(resource_class);
  ASSERT_OK(depth);
  EXPECT_EQ(*depth, 0);
  // Acked once: a second ack of the same delivery is harmless.
  queue->ack(*delivery);
  ASSERT_OK(queue->publish(sent));
  EXPECT_TRUE(queue->take({resource_class}, k_take_timeout).has_value());
  EXPECT_EQ(queue->malformed_messages(), 0);
}

TEST_F(AmqpQueueTest, RequeuedOrUnsettledMessageIsTakenAgain) {
  auto resource_class = new_class();
  auto queue = open();
  RunMessage sent{7, "deploy", resource_class};
  ASSERT_OK(queue->publish(sent));

  auto first = queue->take({resource_class}, k_take_timeout);
  ASSERT_TRUE(first.has_value());
  queue->requeue(*first);
  auto second = queue->take({resource_class}, k_take_timeout);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->message, sent);

  // Never settled, then its agent goes away: RabbitMQ hands it to another.
  queue.reset();
  auto other = open();
  auto third = other->take({resource_class}, k_take_timeout);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->message, sent);
  other->ack(*third);
}

TEST_F(AmqpQueueTest, TwoConsumersTakeEachMessageExactlyOnce) {
  auto resource_class = new_class();
  constexpr int k_messages = 50;
  {
    auto publisher = open();
    for (int id = 1; id <= k_messages; ++id) {
      ASSERT_OK(publisher->publish(RunMessage{id, "build", resource_class}));
    }
  }
  std::mutex mutex;
  std::multiset<std::int64_t> taken;
  auto consume = [&] {
    auto queue = open();
    auto until = Clock::now() + 60s;
    while (Clock::now() < until) {
      {
        std::lock_guard lock(mutex);
        if (taken.size() >= k_messages) {
          return;
        }
      }
      if (auto delivery = queue->take({resource_class}, 500ms)) {
        queue->ack(*delivery);
        std::lock_guard lock(mutex);
        taken.insert(delivery->message.run_id);
      }
    }
  };
  std::thread first(consume);
  std::thread second(consume);
  first.join();
  second.join();

  ASSERT_EQ(taken.size(), static_cast<std::size_t>(k_messages));
  for (int id = 1; id <= k_messages; ++id) {
    EXPECT_EQ(taken.count(id), 1u) << "run " << id;
  }
  auto depth = open()->depth(resource_class);
  ASSERT_OK(depth);
  EXPECT_EQ(*depth, 0);
}

TEST_F(AmqpQueueTest, TakeOnAnEmptyClassReturnsNothingAfterItsTimeout) {
  auto queue = open();
  auto started = Clock::now();
  EXPECT_FALSE(queue->take({new_class(), new_class()}, 300ms).has_value());
  auto waited = Clock::now() - started;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, k_bounded);
}

TEST_F(AmqpQueueTest, MalformedMessageIsDroppedAndCountedAndTheNextOneTaken) {
  auto resource_class = new_class();
  auto queue = open();
  ASSERT_OK(queue->depth(resource_class)); // declares the queue for the raw publish
  test::publish_raw(m_url, "", "cicd.runs." + resource_class, "not json at all");
  test::publish_raw(m_url, "", "cicd.runs." + resource_class,
                    R"({"v":99,"runId":1,"job":"x","resourceClass":"y"})");
  RunMessage good{3, "build", resource_class};
  ASSERT_OK(queue->publish(good));

  auto delivery = queue->take({resource_class}, k_take_timeout);
  ASSERT_TRUE(delivery.has_value());
  EXPECT_EQ(delivery->message, good);
  EXPECT_EQ(queue->malformed_messages(), 2);
  queue->ack(*delivery);
  // Rejected without requeue: gone, not waiting for the next agent.
  EXPECT_FALSE(queue->take({resource_class}, 300ms).has_value());
  auto depth = queue->depth(resource_class);
  ASSERT_OK(depth);
  EXPECT_EQ(*depth, 0);
}

TEST_F(AmqpQueueTest, BroadcastReachesTheControlHandlersOfOtherQueues) {
  auto sender = open();
  auto first = open();
  auto second = open();
  ControlLog first_log;
  ControlLog second_log;
  first->on_control(first_log.handler());
  second->on_control(second_log.handler());

  // Unique, since every test process's handlers see every broadcast.
  auto agent = test::unique_resource_class("agent");
  ControlMessage abort{ControlMessage::Kind::abort_run, static_cast<std::int64_t>(::getpid()), {}};
  ControlMessage drain{ControlMessage::Kind::drain_agent, 0, agent};
  ASSERT_OK(sender->broadcast(abort));
  test::publish_raw(m_url, "cicd.control", "", "{\"v\":1,\"type\":\"explode\"}");
  ASSERT_OK(sender->broadcast(drain));

  EXPECT_TRUE(first_log.wait_for(abort));
  EXPECT_TRUE(first_log.wait_for(drain));
  EXPECT_TRUE(second_log.wait_for(abort));
  EXPECT_TRUE(second_log.wait_for(drain));
  EXPECT_TRUE(eventually([&] { return first->malformed_messages() >= 1; }));
  EXPECT_TRUE(eventually([&] { return second->malformed_messages() >= 1; }));
}

TEST_F(AmqpQueueTest, DepthCountsReadyMessages) {
  auto resource_class = new_class();
  auto queue = open();
  auto empty = queue->depth(resource_class);
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, 0);
  for (int id = 1; id <= 3; ++id) {
    ASSERT_OK(queue->publish(RunMessage{id, "build", resource_class}));
  }
  EXPECT_TRUE(eventually([&] {
    auto depth = queue->depth(resource_class);
    return depth && *depth == 3;
  }));
  // Taken but not settled: no longer ready.
  auto delivery = queue->take({resource_class}, k_take_timeout);
  ASSERT_TRUE(delivery.has_value());
  EXPECT_TRUE(eventually([&] {
    auto depth = queue->depth(resource_class);
    return depth && *depth == 2;
  }));
  queue->ack(*delivery);
}

TEST(AmqpRestart, PublishFailsWhileTheBrokerIsDownAndWorksAgainAfterItRestarts) {
  test::OwnRabbitmq broker;
  if (broker.url().empty()) {
    return;
  }
  auto resource_class = test::unique_resource_class("restart");
  auto queue = open_queue(broker.url());
  ASSERT_OK(queue->publish(RunMessage{1, "build", resource_class}));

  ASSERT_TRUE(broker.rabbitmqctl("stop_app"));
  auto started = Clock::now();
  EXPECT_ERROR(queue->publish(RunMessage{2, "build", resource_class}), ErrorCode::unavailable);
  EXPECT_FALSE(queue->take({resource_class}, 500ms).has_value());
  EXPECT_ERROR(queue->depth(resource_class), ErrorCode::unavailable);
  EXPECT_LT(Clock::now() - started, k_bounded);

  ASSERT_TRUE(broker.rabbitmqctl("start_app"));
  // The backend reconnects on its own, within its longest back-off (5 s) of the broker's return.
  Result<void> published = make_error(ErrorCode::unavailable, "not tried");
  auto until = Clock::now() + 30s;
  while (!published && Clock::now() < until) {
    published = queue->publish(RunMessage{3, "build", resource_class});
    if (!published) {
      std::this_thread::sleep_for(200ms);
    }
  }
  ASSERT_OK(published);

  // Durable queue, persistent messages: the one published before the stop is still there.
  std::set<std::int64_t> taken;
  for (int i = 0; i < 2; ++i) {
    auto delivery = queue->take({resource_class}, k_take_timeout);
    ASSERT_TRUE(delivery.has_value()) << "take " << i;
    taken.insert(delivery->message.run_id);
    queue->ack(*delivery);
  }
  EXPECT_EQ(taken, (std::set<std::int64_t>{1, 3}));
}

} // namespace
} // namespace cicd::queue

#pragma once
// RabbitMQ for tests: the private node scripts/test starts (scripts/lib/rabbitmq.sh exports
// CICD_TEST_AMQP_URL and CICD_TEST_RABBITMQ_SCRIPT), names no other test uses, a plain
// librabbitmq connection for what the backend itself never sends (malformed bytes), and a
// node of a test's own for tests that stop the broker.
//
// When the broker is not there, a test that needs it FAILS under CI (CI=true) and is skipped
// with a loud message elsewhere (STYLE.md, Tests). Never skipped under CI.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::test {

// The test broker's URL. When it is not configured, records a fatal failure or a skip on the
// current test and returns an empty string: the caller must return at once (from SetUp(),
// that also keeps the test body from running).
std::string amqp_test_url();

// A resource class name unique to this process and call: "<prefix>-<pid>-<n>-<random>". Its
// queue is cicd.runs.<name>.
std::string unique_resource_class(std::string_view prefix);

// Publishes `body` as it is to `exchange` ("" is the default exchange, which routes to the
// queue named `routing_key`), over a connection of its own. Records a failure on error.
void publish_raw(const std::string& url, const std::string& exchange,
                 const std::string& routing_key, const std::string& body);

// Deletes the queues if they exist. Best effort: the node is deleted after the run anyway.
void delete_queues(const std::string& url, const std::vector<std::string>& queues);

// A RabbitMQ node of the test's own, for a test that stops and starts the broker, which would
// break the other tests on the shared node (ctest runs two at a time). Started with
// scripts/lib/rabbitmq.sh on free ports; about 5 to 15 s. Stopped on destruction.
// Thread safety: none; use from the test's thread.
class OwnRabbitmq {
public:
  // Records a failure (or a skip outside CI, when scripts/test did not say where the script
  // is) when the node cannot start: then url() is empty and the caller must return.
  OwnRabbitmq();
  OwnRabbitmq(const OwnRabbitmq&) = delete;
  OwnRabbitmq& operator=(const OwnRabbitmq&) = delete;
  ~OwnRabbitmq();

  const std::string& url() const { return m_url; }
  // Runs `rabbitmqctl <arguments>` against this node, at most `timeout_seconds`; true when it
  // succeeded. stop_app stops the broker (connections closed, new ones refused) but keeps the
  // node; start_app starts it again.
  bool rabbitmqctl(const std::string& arguments, int timeout_seconds = 60);

private:
  std::string m_script;
  std::filesystem::path m_root;
  std::string m_url;
};

} // namespace cicd::test

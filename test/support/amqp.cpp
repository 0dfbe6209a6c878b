#include "support/amqp.hpp"

#include "support/cicd_process.hpp"

#include <gtest/gtest.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

namespace cicd::test {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool running_under_ci() {
  auto ci = environment("CI");
  return ci == "true" || ci == "1";
}

const char* k_not_running =
    "RabbitMQ is not running: CICD_TEST_AMQP_URL and CICD_TEST_RABBITMQ_SCRIPT are not set. "
    "Run the tests with scripts/test, which starts a private node (scripts/lib/rabbitmq.sh).";

// void so that FAIL() and GTEST_SKIP() can end it; `url` stays empty when they do.
void find_url(std::string& url) {
  auto configured = environment("CICD_TEST_AMQP_URL");
  if (configured.empty()) {
    if (running_under_ci()) {
      FAIL() << k_not_running;
    }
    GTEST_SKIP() << "\n*** SKIPPED: " << k_not_running << " ***\n";
  }
  url = configured;
}

// Like find_url, for scripts/lib/rabbitmq.sh.
void find_script(std::string& script) {
  auto configured = environment("CICD_TEST_RABBITMQ_SCRIPT");
  if (configured.empty()) {
    if (running_under_ci()) {
      FAIL() << k_not_running;
    }
    GTEST_SKIP() << "\n*** SKIPPED: " << k_not_running << " ***\n";
  }
  script = configured;
}

std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

// A plain connection with one channel, as another program would open it.
class RawConnection {
public:
  explicit RawConnection(const std::string& url) : m_connection(amqp_new_connection()) {
    std::string parsed_url = url; // amqp_parse_url writes into it
    amqp_connection_info info;
    if (amqp_parse_url(parsed_url.data(), &info) != AMQP_STATUS_OK) {
      ADD_FAILURE() << "not an AMQP URL: " << url;
      return;
    }
    timeval timeout{5, 0};
    auto* socket = amqp_tcp_socket_new(m_connection);
    if (int status = amqp_socket_open_noblock(socket, info.host, info.port, &timeout);
        status != AMQP_STATUS_OK) {
      ADD_FAILURE() << "cannot connect to " << url << ": " << amqp_error_string2(status);
      return;
    }
    amqp_set_rpc_timeout(m_connection, &timeout);
    if (!succeeded(amqp_login(m_connection, info.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                              AMQP_SASL_METHOD_PLAIN, info.user, info.password),
                   "login")) {
      return;
    }
    amqp_channel_open(m_connection, 1);
    m_open = succeeded(amqp_get_rpc_reply(m_connection), "channel.open");
  }

  ~RawConnection() {
    if (m_open) {
      // In order after everything sent before: once it returns, the broker has routed those.
      amqp_channel_close(m_connection, 1, AMQP_REPLY_SUCCESS);
      amqp_connection_close(m_connection, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(m_connection);
  }

  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool open() const { return m_open; }
  amqp_connection_state_t get() const { return m_connection; }

  bool succeeded(const amqp_rpc_reply_t& reply, const char* what) {
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
      return true;
    }
    ADD_FAILURE() << what << " failed: "
                  << (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                          ? amqp_error_string2(reply.library_error)
                          : "refused by RabbitMQ");
    m_open = false;
    return false;
  }

private:
  amqp_connection_state_t m_connection;
  bool m_open = false;
};

} // namespace

std::string amqp_test_url() {
  std::string url;
  find_url(url);
  return url;
}

std::string unique_resource_class(std::string_view prefix) {
  static std::atomic<int> counter{0};
  static std::mt19937_64 random{std::random_device{}()};
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
         "-" + std::to_string(random() % 1'000'000);
}

void publish_raw(const std::string& url, const std::string& exchange,
                 const std::string& routing_key, const std::string& body) {
  RawConnection connection(url);
  if (!connection.open()) {
    return;
  }
  amqp_basic_properties_t properties{};
  int status = amqp_basic_publish(connection.get(), 1, amqp_cstring_bytes(exchange.c_str()),
                                  amqp_cstring_bytes(routing_key.c_str()), 0, 0, &properties,
                                  amqp_bytes_t{body.size(), const_cast<char*>(body.data())});
  EXPECT_EQ(status, AMQP_STATUS_OK) << "publishing to " << exchange << "/" << routing_key;
}

void delete_queues(const std::string& url, const std::vector<std::string>& queues) {
  if (url.empty() || queues.empty()) {
    return;
  }
  RawConnection connection(url);
  for (const auto& queue : queues) {
    if (!connection.open()) {
      return;
    }
    amqp_queue_delete(connection.get(), 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
    connection.succeeded(amqp_get_rpc_reply(connection.get()), "queue.delete");
  }
}

OwnRabbitmq::OwnRabbitmq() {
  find_script(m_script);
  if (m_script.empty()) {
    return;
  }
  TempDir output("cicd-own-rabbitmq");
  auto said = output.path() / "node";
  // AMQP, distribution and epmd: three different ports free a moment ago.
  std::set<std::uint16_t> ports;
  while (ports.size() < 3) {
    ports.insert(free_port());
  }
  auto port = ports.begin();
  auto amqp_port = std::to_string(*port++);
  auto dist_port = std::to_string(*port++);
  auto epmd_port = std::to_string(*port);
  // Unset: start_rabbitmq must never fall back on the shared node's directory.
  auto command = "unset CICD_TEST_RABBITMQ_ROOT; CICD_TEST_AMQP_PORT=" + amqp_port +
                 " CICD_TEST_RABBITMQ_DIST_PORT=" + dist_port +
                 " CICD_TEST_RABBITMQ_EPMD_PORT=" + epmd_port +
                 " timeout 120 bash -c 'source \"$0\" && start_rabbitmq && printf \"%s\\n%s\\n\" "
                 "\"$CICD_TEST_RABBITMQ_ROOT\" \"$CICD_TEST_AMQP_URL\" >\"$1\"' " +
                 shell_quoted(m_script) + " " + shell_quoted(said.string());
  int status = std::system(command.c_str());
  std::ifstream lines(said);
  std::string root;
  std::getline(lines, root);
  std::getline(lines, m_url);
  m_root = root;
  if (status != 0 || m_url.empty()) {
    ADD_FAILURE() << "a RabbitMQ node of the test's own did not start (" << command << ")";
    m_url.clear();
  }
}

OwnRabbitmq::~OwnRabbitmq() {
  if (m_root.empty()) {
    return;
  }
  auto command = "CICD_TEST_RABBITMQ_ROOT=" + shell_quoted(m_root.string()) +
                 " timeout 90 bash -c 'source \"$0\" && stop_rabbitmq' " + shell_quoted(m_script);
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "stopping the test's own RabbitMQ node failed: " << command;
  }
}

bool OwnRabbitmq::rabbitmqctl(const std::string& arguments, int timeout_seconds) {
  auto command = "timeout " + std::to_string(timeout_seconds) + " " +
                 shell_quoted((m_root / "rabbitmqctl").string()) + " -q " + arguments +
                 " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

} // namespace cicd::test

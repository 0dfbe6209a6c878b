#pragma once
// Where the RabbitMQ backend connects: amqp://user:password@host:port/vhost, as RabbitMQ's URI
// spec writes it (user, password and vhost percent-encoded; the vhost "/" is %2F or no path).

#include <string>

namespace cicd::queue {

struct AmqpAddress {
  std::string host;
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";

  // "host:port vhost /" for messages and logs: never the password.
  std::string describe() const;
};

// Throws Fatal with a one-line message naming what is wrong with `url`.
AmqpAddress parse_amqp_url(const std::string& url);

} // namespace cicd::queue

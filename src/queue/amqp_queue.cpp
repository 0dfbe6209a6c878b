#include "cicd/queue/queue.hpp"

namespace cicd::queue {

// Replaced by the RabbitMQ backend (librabbitmq-c) in its own commit.
std::unique_ptr<Queue> open_amqp_queue(const std::string&) {
  throw Fatal("--queue amqp://… (RabbitMQ) is not built yet. Use --queue inproc: for now", 2);
}

} // namespace cicd::queue

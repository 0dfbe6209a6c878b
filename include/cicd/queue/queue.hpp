#pragma once
// Dispatch of queued runs to agents. Backends by URL: "inproc:" (standalone, in the same
// process) and, with the Distributed issue, "amqp://…" (RabbitMQ).
//
// Contract: publish() is called after the run row is committed; a failed publish leaves the
// run queued for a sweeper to republish, so publish may fail but never loses a committed run.
// Duplicate messages are harmless (agents claim runs in the database). Thread safety: all
// methods may be called concurrently.

#include "cicd/core/error.hpp"
#include "cicd/queue/run_message.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cicd::queue {

class Queue {
public:
  virtual ~Queue() = default;
  virtual Result<void> publish(const RunMessage& message) = 0;
  // Waits up to `timeout` for a message of `resource_class`; nullopt when none came.
  virtual std::optional<RunMessage> take(const std::string& resource_class,
                                         std::chrono::milliseconds timeout) = 0;
};

// Throws Fatal for an unknown or not yet supported URL.
std::unique_ptr<Queue> open_queue(const std::string& url);

} // namespace cicd::queue

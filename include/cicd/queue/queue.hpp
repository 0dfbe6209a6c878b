#pragma once
// Dispatch of queued runs to agents, and the control broadcast (abort, drain). Backends by
// URL: "inproc:" (standalone, in the same process) and "amqp://user:password@host:port/vhost"
// (RabbitMQ: a durable queue per resource class, cicd.runs.<class>, and a fanout exchange
// cicd.control).
//
// Contract:
// - publish() is called after the run row is committed and returns once the broker has
//   confirmed the message; a failed publish leaves the run queued for a sweeper to
//   republish, so publish may fail but never loses a committed run.
// - Duplicate messages are harmless: agents claim runs in the database before they ack.
// - A delivery is settled with ack() right after the claim (taken or found gone), never at
//   the end of the run, or with requeue() when the claim could not be decided (the
//   database is away). Between take() calls the backend holds back no message from other
//   agents.
// - A message that cannot be decoded is rejected without requeue and counted, never
//   retried in a loop.
// - Neither publish() nor take() hangs when the broker is away: they fail (publish) or
//   return nothing (take) within their time limits, and the backend reconnects with back-off.
// Thread safety: all methods may be called concurrently.

#include "cicd/core/error.hpp"
#include "cicd/queue/run_message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cicd::queue {

// A message handed to an agent, to be settled with ack() or requeue().
struct Delivery {
  RunMessage message;
  std::uint64_t tag = 0; // the backend's handle for it
};

class Queue {
public:
  virtual ~Queue() = default;

  virtual Result<void> publish(const RunMessage& message) = 0;
  // Waits up to `timeout` for a message of one of `resource_classes` (those the caller has
  // room for now); nullopt when none came.
  virtual std::optional<Delivery> take(const std::vector<std::string>& resource_classes,
                                       std::chrono::milliseconds timeout) = 0;
  virtual void ack(const Delivery& delivery) = 0;
  virtual void requeue(const Delivery& delivery) = 0;

  // Best effort: agents also read abort and drain from the database on their heartbeat, so
  // a lost broadcast delays them but loses nothing.
  virtual Result<void> broadcast(const ControlMessage& message) = 0;
  // Receives every control message broadcast from now on (from any thread of the backend).
  // Set once, before the first take().
  virtual void on_control(std::function<void(const ControlMessage&)> handler) = 0;

  // Messages ready in the queue of `resource_class` (for metrics and autoscaling).
  virtual Result<std::int64_t> depth(const std::string& resource_class) = 0;
  // Messages rejected because they could not be decoded, since start.
  virtual std::int64_t malformed_messages() const = 0;
};

// Throws Fatal for an unknown or malformed URL. A broker that cannot be reached at start-up is
// not fatal: the backend keeps trying, and publish() fails until it connects.
std::unique_ptr<Queue> open_queue(const std::string& url);

} // namespace cicd::queue

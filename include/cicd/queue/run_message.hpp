#pragma once
// The wire format of "a run is waiting" and control messages, in one place and versioned: a change
// to the fields changes k_protocol_version, and a consumer refuses versions it does not know. The
// message only wakes an agent; the database stays the source of truth (DESIGN.md).

#include "cicd/core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cicd::queue {

inline constexpr int k_protocol_version = 1;

struct RunMessage {
  std::int64_t run_id = 0;
  std::string job;
  std::string resource_class = "default";
  bool operator==(const RunMessage&) const = default;
};

// {"v":1,"runId":12,"job":"unit-test","resourceClass":"default"}
std::string encode(const RunMessage& message);
// invalid_input for malformed JSON, missing fields or an unknown version.
Result<RunMessage> decode(std::string_view payload);

// Broadcast to every agent: stop a run now, or stop taking runs (drain).
struct ControlMessage {
  enum class Kind { abort_run, drain_agent };
  Kind kind = Kind::abort_run;
  std::int64_t run_id = 0; // abort_run
  std::string agent_id;    // drain_agent
  bool operator==(const ControlMessage&) const = default;
};

// {"v":1,"type":"abort","runId":12} or {"v":1,"type":"drain","agentId":"host-1a2b"}
std::string encode_control(const ControlMessage& message);
// invalid_input for malformed JSON, an unknown type or version, or a missing field.
Result<ControlMessage> decode_control(std::string_view payload);

} // namespace cicd::queue

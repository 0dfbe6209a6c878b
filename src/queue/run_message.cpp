#include "cicd/queue/run_message.hpp"

#include "cicd/model/json.hpp"

namespace cicd::queue {

namespace {

// Parses a message of ours: a JSON object of a known protocol version, read by `read`, which
// may throw ErrorException for a wrong member.
template <class T, class Read>
Result<T> decode_versioned(std::string_view payload, std::string_view what, Read read) {
  auto document = model::parse_json_object(payload);
  if (!document) {
    return document.error();
  }
  try {
    auto* version = model::find_member(*document, "v");
    if (version == nullptr || model::read_integer(*version, "v") != k_protocol_version) {
      return make_error(ErrorCode::invalid_input,
                        std::string(what) + " has an unknown protocol version", "v");
    }
    return read(*document);
  } catch (const ErrorException& e) {
    return e.error();
  }
}

} // namespace

std::string encode(const RunMessage& message) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("v");
  writer.Int(k_protocol_version);
  writer.Key("runId");
  writer.Int64(message.run_id);
  writer.Key("job");
  model::write_string(writer, message.job);
  writer.Key("resourceClass");
  model::write_string(writer, message.resource_class);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<RunMessage> decode(std::string_view payload) {
  return decode_versioned<RunMessage>(
      payload, "run message", [](const rapidjson::Value& object) -> Result<RunMessage> {
        RunMessage message;
        auto* id = model::find_member(object, "runId");
        auto* job = model::find_member(object, "job");
        auto* resource_class = model::find_member(object, "resourceClass");
        if (id == nullptr || job == nullptr || resource_class == nullptr) {
          return make_error(ErrorCode::invalid_input,
                            "run message lacks runId, job or resourceClass");
        }
        message.run_id = model::read_integer(*id, "runId");
        message.job = model::read_string(*job, "job");
        message.resource_class = model::read_string(*resource_class, "resourceClass");
        return message;
      });
}

std::string encode_control(const ControlMessage& message) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("v");
  writer.Int(k_protocol_version);
  writer.Key("type");
  if (message.kind == ControlMessage::Kind::abort_run) {
    writer.String("abort");
    writer.Key("runId");
    writer.Int64(message.run_id);
  } else {
    writer.String("drain");
    writer.Key("agentId");
    model::write_string(writer, message.agent_id);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ControlMessage> decode_control(std::string_view payload) {
  return decode_versioned<ControlMessage>(
      payload, "control message", [](const rapidjson::Value& object) -> Result<ControlMessage> {
        auto* type = model::find_member(object, "type");
        auto kind = type == nullptr ? std::string() : model::read_string(*type, "type");
        ControlMessage message;
        if (kind == "abort") {
          auto* id = model::find_member(object, "runId");
          if (id == nullptr) {
            return make_error(ErrorCode::invalid_input, "abort message lacks runId", "runId");
          }
          message.kind = ControlMessage::Kind::abort_run;
          message.run_id = model::read_integer(*id, "runId");
          return message;
        }
        if (kind == "drain") {
          auto* agent = model::find_member(object, "agentId");
          if (agent == nullptr) {
            return make_error(ErrorCode::invalid_input, "drain message lacks agentId", "agentId");
          }
          message.kind = ControlMessage::Kind::drain_agent;
          message.agent_id = model::read_string(*agent, "agentId");
          return message;
        }
        return make_error(ErrorCode::invalid_input,
                          "control message type must be \"abort\" or \"drain\"", "type");
      });
}

} // namespace cicd::queue

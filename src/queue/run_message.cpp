#include "cicd/queue/run_message.hpp"

#include "cicd/model/json.hpp"

namespace cicd::queue {

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
  auto document = model::parse_json_object(payload);
  if (!document) {
    return document.error();
  }
  try {
    const auto& object = *document;
    auto* version = model::find_member(object, "v");
    if (version == nullptr || model::read_integer(*version, "v") != k_protocol_version) {
      return make_error(ErrorCode::invalid_input, "run message has an unknown protocol version",
                        "v");
    }
    RunMessage message;
    auto* id = model::find_member(object, "runId");
    auto* job = model::find_member(object, "job");
    auto* resource_class = model::find_member(object, "resourceClass");
    if (id == nullptr || job == nullptr || resource_class == nullptr) {
      return make_error(ErrorCode::invalid_input, "run message lacks runId, job or resourceClass");
    }
    message.run_id = model::read_integer(*id, "runId");
    message.job = model::read_string(*job, "job");
    message.resource_class = model::read_string(*resource_class, "resourceClass");
    return message;
  } catch (const ErrorException& e) {
    return e.error();
  }
}

} // namespace cicd::queue

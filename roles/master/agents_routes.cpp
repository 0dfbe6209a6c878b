// GET /agents and POST /agents/{agent}/drain.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/core/log.hpp"
#include "cicd/model/json.hpp"

#include <boost/beast/http/field.hpp>

namespace cicd::master {
namespace {
using auth::Scope;

void write_agent(model::JsonWriter& writer, const store::AgentInfo& agent) {
  writer.StartObject();
  writer.Key("id");
  model::write_string(writer, agent.id);
  writer.Key("host");
  model::write_string(writer, agent.host);
  writer.Key("version");
  model::write_string(writer, agent.version);
  writer.Key("slots");
  writer.Int(agent.slots);
  writer.Key("running");
  writer.Int(agent.running);
  writer.Key("resourceClasses");
  writer.StartArray();
  for (const auto& name : agent.resource_classes) {
    model::write_string(writer, name);
  }
  writer.EndArray();
  writer.Key("draining");
  writer.Bool(agent.draining);
  writer.Key("startedAt");
  model::write_string(writer, model::format_timestamp(agent.started_at_ms));
  writer.Key("lastHeartbeatAt");
  model::write_string(writer, model::format_timestamp(agent.last_heartbeat_ms));
  writer.Key("href");
  model::write_string(writer, "/agents/" + agent.id);
  writer.EndObject();
}

http::Response no_store(http::Response response) {
  response.set(boost::beast::http::field::cache_control, "no-store");
  return response;
}

http::Response list_agents(const ApiDependencies& deps, const http::Request&,
                           const http::RouteMatch&) {
  auto agents = value_or_throw(deps.store.list_agents());
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("items");
  writer.StartArray();
  for (const auto& agent : agents) {
    write_agent(writer, agent);
  }
  writer.EndArray();
  writer.EndObject();
  return no_store(
      http::json_response(http::Status::ok, std::string(buffer.GetString(), buffer.GetSize())));
}

http::Response drain_agent(const ApiDependencies& deps, const http::Request&,
                           const http::RouteMatch& match) {
  auto id = text_capture(match, "agent");
  auto agent = value_or_throw(deps.store.drain_agent(id));
  // The agent also reads the request on its next heartbeat, should the broadcast be lost.
  if (auto sent =
          deps.queue.broadcast({queue::ControlMessage::Kind::drain_agent, 0, std::string(id)});
      !sent) {
    log::warn("agent {}: the drain broadcast failed ({}); it sees the drain on its next "
              "heartbeat",
              id, sent.error().message);
  }
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  write_agent(writer, agent);
  return no_store(http::json_response(http::Status::accepted,
                                      std::string(buffer.GetString(), buffer.GetSize())));
}

} // namespace

void add_agent_routes(http::Router& router, const ApiDependencies& deps) {
  router.add(
      {http::Verb::get, "/agents", static_cast<int>(Scope::read), with_deps(deps, list_agents)});
  router.add({http::Verb::post, "/agents/{agent}/drain", static_cast<int>(Scope::admin),
              with_deps(deps, drain_agent)});
}

} // namespace cicd::master

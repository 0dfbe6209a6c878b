// cicd ctl agents list|drain, and token create.
#include "session.hpp"

#include "ctl_error.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <iostream>

namespace cicd::ctl {

int agents_list(Session& session, CommandLine& args) {
  auto format = take_format(args);
  args.finish();
  auto document = session.api().get_json("/agents");
  if (format != Format::table) {
    print_document(document["items"], format);
    return k_exit_ok;
  }
  Table table({"AGENT", "HOST", "SLOTS", "RUNNING", "CLASSES", "DRAINING", "LAST HEARTBEAT"});
  for (const auto& agent : document["items"].GetArray()) {
    std::string classes;
    if (agent.HasMember("resourceClasses") && agent["resourceClasses"].IsArray()) {
      for (const auto& name : agent["resourceClasses"].GetArray()) {
        classes += (classes.empty() ? "" : ",") + std::string(name.GetString());
      }
    }
    auto number = [&](const char* key) {
      return agent.HasMember(key) && agent[key].IsInt64() ? std::to_string(agent[key].GetInt64())
                                                          : std::string();
    };
    bool draining =
        agent.HasMember("draining") && agent["draining"].IsBool() && agent["draining"].GetBool();
    table.add({string_of(agent, "id"), string_of(agent, "host"), number("slots"), number("running"),
               classes, draining ? "yes" : "no", short_time(string_of(agent, "lastHeartbeatAt"))});
  }
  std::cout << table.render(session.terminal().colour);
  return k_exit_ok;
}

int agents_drain(Session& session, CommandLine& args) {
  auto agent = args.take("AGENT");
  args.finish();
  session.api().call("POST", "/agents/" + segment(agent) + "/drain");
  std::cout << "agent " << agent << " is draining: it finishes its runs and takes no more\n";
  return k_exit_ok;
}

int token_create(Session& session, CommandLine& args) {
  auto subject = args.value({"--sub"});
  auto scope = args.value({"--scope"});
  auto ttl = args.value({"--ttl"});
  auto format = take_format(args);
  args.finish();
  if (!subject || !scope) {
    throw usage_error("token create needs --sub NAME and --scope read|trigger|admin");
  }
  rapidjson::StringBuffer body;
  rapidjson::Writer<rapidjson::StringBuffer> writer(body);
  writer.StartObject();
  writer.Key("sub");
  writer.String(subject->c_str());
  writer.Key("scope");
  writer.String(scope->c_str());
  if (ttl) {
    writer.Key("ttl");
    writer.String(ttl->c_str());
  }
  writer.EndObject();
  auto answer =
      session.api().call("POST", "/tokens", std::string(body.GetString(), body.GetSize()));
  auto document = parse_document(answer.body, "POST /tokens");
  if (format == Format::table) {
    std::cout << string_of(document, "token") << "\n";
  } else {
    print_document(document, format);
  }
  return k_exit_ok;
}

} // namespace cicd::ctl

// GET /agents: every agent with its slots, running runs and last heartbeat, and a Drain
// button; POST /agents/{agent}/drain.
#include "page_context.hpp"

namespace cicd::ui {
namespace {

http::Reply agents_page(const PageContext& context, const http::Request&, const http::RouteMatch&) {
  auto response = context.api("GET", "/agents");
  if (response.status != 200) {
    return api_failure_page(context, response);
  }
  rapidjson::Document list;
  list.Parse(response.body.c_str());
  if (list.HasParseError() || !list.IsObject() || !list.HasMember("items") ||
      !list["items"].IsArray()) {
    return api_failure_page(context, response);
  }
  kainjow::mustache::list rows;
  for (const auto& agent : list["items"].GetArray()) {
    Data row;
    auto id = json_string(agent, "id");
    put(row, "id", id);
    put(row, "host", json_string(agent, "host"));
    put(row, "version", json_string(agent, "version"));
    put(row, "slots", json_string(agent, "slots"));
    put(row, "running", json_string(agent, "running"));
    std::string classes;
    if (agent.HasMember("resourceClasses") && agent["resourceClasses"].IsArray()) {
      for (const auto& c : agent["resourceClasses"].GetArray()) {
        if (c.IsString()) {
          classes += (classes.empty() ? "" : ", ") + std::string(c.GetString());
        }
      }
    }
    put(row, "classes", classes);
    put(row, "draining",
        json_string(agent, "draining") == "true" ? Data::type::bool_true : Data::type::bool_false);
    auto heartbeat = json_string(agent, "lastHeartbeatAt");
    put(row, "heartbeat_at", heartbeat);
    put(row, "heartbeat_rel", relative_time(heartbeat));
    put(row, "drain_href", context.base + "/agents/" + url_segment(id) + "/drain");
    rows.push_back(row);
  }
  Data data;
  put(data, "agents", rows);
  put(data, "empty", rows.empty() ? Data::type::bool_true : Data::type::bool_false);
  return render_page(context, "agents", "Agents", data);
}

http::Reply drain_agent(const PageContext& context, const http::Request&,
                        const http::RouteMatch& match) {
  auto response = context.api("POST", "/agents/" + url_segment(match.capture("agent")) + "/drain");
  if (response.status == 202 || response.status == 200) {
    return redirect(context.base + "/agents");
  }
  return api_failure_page(context, response);
}

} // namespace

void add_agents_pages(PageRoutes& routes) {
  routes.add(http::Verb::get, "/agents", agents_page);
  routes.add(http::Verb::post, "/agents/{agent}/drain", drain_agent);
}

} // namespace cicd::ui

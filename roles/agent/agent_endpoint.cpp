#include "agent_endpoint.hpp"

#include "cicd/config/options.hpp"

#include <boost/beast/http/field.hpp>

namespace cicd::agent {
namespace {

http::ServerOptions server_options(const std::string& listen) {
  auto address = config::parse_listen(listen);
  http::ServerOptions options;
  options.host = address.host;
  options.port = address.port;
  // A scraper and a health check: one thread of each kind is plenty.
  options.io_threads = 1;
  options.handler_threads = 1;
  return options;
}

} // namespace

AgentEndpoint::AgentEndpoint(const std::string& listen, const AgentLoop& loop,
                             const AgentMetrics& metrics)
    : m_server(server_options(listen),
               [this](http::Request&& request) { return answer(request); }) {
  m_router.add({http::Verb::get, "/healthz", 0, [](const http::Request&, const http::RouteMatch&) {
                  return http::json_response(http::Status::ok, R"({"status":"ok"})");
                }});
  m_router.add({http::Verb::get, "/metrics", 0,
                [&loop, &metrics](const http::Request&, const http::RouteMatch&) {
                  return metrics.exposition(loop);
                }});
  m_thread = std::thread([this] { m_server.run(); });
}

AgentEndpoint::~AgentEndpoint() {
  m_server.stop();
  m_thread.join();
}

http::Reply AgentEndpoint::answer(const http::Request& request) const {
  auto target = http::parse_target(request.target());
  if (!target) {
    return http::problem_response(target.error());
  }
  auto found = m_router.find(request.method(), *target);
  if (found.route == nullptr) {
    if (!found.allowed_methods.empty()) {
      auto response =
          http::problem_response(http::Status::method_not_allowed, "use " + found.allowed_methods);
      response.set(boost::beast::http::field::allow, found.allowed_methods);
      return response;
    }
    return http::problem_response(http::Status::not_found,
                                  "the agent serves GET /healthz and GET /metrics only");
  }
  http::RouteMatch match{*target, std::move(found.captures), {}};
  return found.route->handler(request, match);
}

} // namespace cicd::agent

#pragma once
// Maps a method and a path to a handler. Patterns are literal segments and {name} captures:
// "/jobs/{job}/runs/{id}". Captures and query values arrive percent-decoded.

#include "cicd/http/message.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::http {

// What the router found in the request target.
struct Target {
  std::vector<std::string> segments;                   // decoded path segments
  std::multimap<std::string, std::string> query;       // decoded query parameters
  std::string_view param(std::string_view name) const; // empty when absent
};

// Parses an origin-form target ("/jobs/x/runs?limit=5"). invalid_input when malformed.
Result<Target> parse_target(std::string_view target);

struct RouteMatch {
  const Target& target;
  std::map<std::string, std::string, std::less<>> captures;
  std::string principal; // who is asking: the authenticated token's subject
  std::string_view capture(std::string_view name) const;
};

struct Route {
  Verb method;
  std::string pattern;
  int tag = 0; // free for the owner (the master stores the scope a route needs)
  std::function<Reply(const Request&, const RouteMatch&)> handler;
};

// Thread safety: add() before serving; find() may then run concurrently.
class Router {
public:
  void add(Route route);

  struct Found {
    const Route* route = nullptr; // null: no route for this path and method
    std::string allowed_methods;  // when the path matched with other methods: "GET, PUT"
    std::map<std::string, std::string, std::less<>> captures;
  };
  Found find(Verb method, const Target& target) const;

  const std::vector<Route>& routes() const { return m_routes; }

private:
  std::vector<Route> m_routes;
  std::vector<std::vector<std::string>> m_patterns; // m_routes[i].pattern split at '/'
};

} // namespace cicd::http

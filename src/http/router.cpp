#include "cicd/http/router.hpp"

#include <boost/url/parse.hpp>

namespace cicd::http {
namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    auto end = pattern.find('/', start);
    if (end == std::string_view::npos) {
      end = pattern.size();
    }
    parts.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string, std::less<>>& captures) {
  if (pattern.size() != segments.size()) {
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      captures[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string_view Target::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view RouteMatch::capture(std::string_view name) const {
  auto it = captures.find(name);
  return it == captures.end() ? std::string_view() : std::string_view(it->second);
}

Result<Target> parse_target(std::string_view text) {
  auto parsed = boost::urls::parse_origin_form(text);
  if (!parsed) {
    return make_error(ErrorCode::invalid_input,
                      "the request target is not a valid path: " + parsed.error().message());
  }
  Target target;
  for (auto segment : parsed->segments()) {
    target.segments.push_back(segment);
  }
  // "/jobs/" and "/jobs" name the same collection.
  if (!target.segments.empty() && target.segments.back().empty()) {
    target.segments.pop_back();
  }
  for (auto param : parsed->params()) {
    target.query.emplace(param.key, param.value);
  }
  return target;
}

void Router::add(Route route) {
  m_patterns.push_back(split_pattern(route.pattern));
  m_routes.push_back(std::move(route));
}

Router::Found Router::find(Verb method, const Target& target) const {
  Found found;
  for (std::size_t i = 0; i < m_routes.size(); ++i) {
    const auto& route = m_routes[i];
    std::map<std::string, std::string, std::less<>> captures;
    if (!match(m_patterns[i], target.segments, captures)) {
      continue;
    }
    if (route.method == method) {
      found.route = &route;
      found.captures = std::move(captures);
      return found;
    }
    auto name = boost::beast::http::to_string(route.method);
    found.allowed_methods += (found.allowed_methods.empty() ? "" : ", ") + std::string(name);
  }
  return found;
}

} // namespace cicd::http

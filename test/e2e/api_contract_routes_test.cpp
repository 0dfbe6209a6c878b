// docs/openapi.yaml is the API's contract: it is valid OpenAPI, and it names exactly the routes
// the master serves, with the scope each needs. The routes come from the real router
// (master::Api::router() over services opened like `cicd master` opens them, in a temp dir),
// so a route added without its spec, or a spec path nobody serves, fails here by name.
#include "api_contract_tools.hpp"

#include "master/api.hpp"
#include "master/master.hpp"
#include "support/cicd_process.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace cicd::test {
namespace {

// "GET /jobs/{job}" → the scope it needs ("none" for /healthz).
using RouteScopes = std::map<std::string, std::string>;

// What master::Api answers itself, before its router and without a bearer token: add a route
// here when Api::answer() serves it ahead of the router.
const RouteScopes k_answered_before_routing = {{"GET /healthz", "none"},
                                               {"POST /hooks/github/{name}", "none"},
                                               {"POST /hooks/gitlab/{name}", "none"}};

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

RouteScopes spec_routes() {
  auto spec = YAML::LoadFile(openapi_spec_path().string());
  RouteScopes routes;
  for (const auto& path : spec["paths"]) {
    for (const auto& entry : path.second) {
      auto key = entry.first.as<std::string>();
      static const std::set<std::string> k_methods = {"get",   "put",  "post",    "delete",
                                                      "patch", "head", "options", "trace"};
      if (!k_methods.contains(key)) {
        continue; // "parameters", "summary"…
      }
      auto scope = entry.second["x-cicd-scope"];
      routes[upper(key) + " " + path.first.as<std::string>()] =
          scope ? scope.as<std::string>() : "(no x-cicd-scope)";
    }
  }
  return routes;
}

RouteScopes server_routes() {
  TempDir dir("cicd-contract");
  config::ServiceOptions options;
  options.data_dir = (dir.path() / "data").string();
  config::resolve_defaults(options);
  auto services = master::open_services(options);
  master::Api api(master::ApiDependencies{*services.store, *services.queue, *services.results,
                                          services.keys.token_key, services.keys.secret_box,
                                          *services.repo_cache});
  RouteScopes routes;
  for (const auto& route : api.router().routes()) {
    auto method = std::string(boost::beast::http::to_string(route.method));
    routes[method + " " + route.pattern] =
        std::string(auth::to_string(static_cast<auth::Scope>(route.tag)));
  }
  for (const auto& [route, scope] : k_answered_before_routing) {
    routes[route] = scope;
  }
  return routes;
}

TEST(ApiContract, TheSpecIsValidOpenApi) {
  if (!openapi_tools_ready()) {
    return;
  }
  auto output = run_openapi_tool("validate_spec.mjs", openapi_spec_path().string());
  std::cout << output;
  EXPECT_NE(output.find("the spec is valid"), std::string::npos) << output;
}

TEST(ApiContract, EveryRouteIsInTheSpecAndEveryOperationOfTheSpecIsRouted) {
  auto in_spec = spec_routes();
  auto served = server_routes();
  ASSERT_GT(served.size(), 30U);
  for (const auto& [route, scope] : served) {
    auto found = in_spec.find(route);
    if (found == in_spec.end()) {
      ADD_FAILURE() << "the server routes " << route
                    << " but docs/openapi.yaml does not describe it: add it under paths";
    } else {
      EXPECT_EQ(found->second, scope)
          << route << " needs scope '" << scope << "' in the server, but docs/openapi.yaml says '"
          << found->second << "' (x-cicd-scope)";
    }
  }
  for (const auto& [route, scope] : in_spec) {
    EXPECT_TRUE(served.contains(route))
        << "docs/openapi.yaml describes " << route
        << " but the server has no such route (path templates must equal the router's patterns)";
  }
}

TEST(ApiContract, TheSpecVersionIsTheOneTheServerAnnounces) {
  auto spec = YAML::LoadFile(openapi_spec_path().string());
  EXPECT_EQ(spec["info"]["version"].as<std::string>(), std::string(master::k_api_version))
      << "docs/openapi.yaml's info.version and master::k_api_version (GET /healthz's apiVersion) "
         "must change together";
}

} // namespace
} // namespace cicd::test

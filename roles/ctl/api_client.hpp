#pragma once
// The REST API for `cicd ctl`, over http::Client. Every failure becomes a CtlError with one
// line for people: the server's problem+json detail (and the field it names), "the server
// refused the token" for a 401, or which URL could not be reached and why (exit 4).

#include "ctl_config.hpp"
#include "ctl_error.hpp"

#include "cicd/http/client.hpp"

#include <rapidjson/document.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::ctl {

using ApiResponse = http::ClientResponse;

// Thread safety: none.
class ApiClient {
public:
  explicit ApiClient(Connection connection);

  // Sends one request; any answer is returned (only an unreachable server throws).
  ApiResponse send(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::vector<std::string>& headers = {});
  // Like send(), but an answer other than 2xx (or one of `also_ok`) throws its CtlError.
  ApiResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::vector<std::string>& headers = {},
                   const std::vector<long>& also_ok = {});
  rapidjson::Document get_json(const std::string& path);

  enum class StreamEnd { complete, stopped, cut };
  // GET `path`, passing the body to `on_bytes` as it arrives until it ends (complete), the
  // callback returns false (stopped) or the connection fails part-way (cut). A refusal before
  // the body (4xx/5xx) throws its CtlError; so does a server that cannot be reached at all.
  // `head`, when given, receives the status and headers.
  StreamEnd stream(const std::string& path, const std::function<bool(std::string_view)>& on_bytes,
                   ApiResponse* head = nullptr);

  const Connection& connection() const { return m_connection; }

private:
  Connection m_connection;
  http::Client m_client;
};

// Every page of a list route (following its "next" links), as one array of its items.
rapidjson::Document list_all(ApiClient& api, std::string path);

// The CtlError for a refused request (what main prints), from its problem+json.
CtlError refusal(const ApiResponse& response, const std::string& method, const std::string& path);

// A path segment percent-encoded (job names and keys are plain already; this is belt and
// braces for what users type).
std::string segment(std::string_view text);

rapidjson::Document parse_document(const std::string& body, const std::string& what);

} // namespace cicd::ctl

#include "api_client.hpp"

#include "ctl_error.hpp"
#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cicd::ctl {
namespace {

http::ClientRequest request_for(const Connection& connection, const std::string& method,
                                const std::string& path, const std::string& body,
                                const std::vector<std::string>& headers) {
  http::ClientRequest request;
  request.method = method;
  request.url = connection.server + path;
  request.body = body;
  request.user_agent = "cicd-ctl/" CICD_VERSION;
  request.ca_file = connection.ca_file;
  if (!connection.token.empty()) {
    request.headers.push_back("Authorization: Bearer " + connection.token);
  }
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type: application/json");
  }
  request.headers.insert(request.headers.end(), headers.begin(), headers.end());
  return request;
}

CtlError unreachable(const Connection& connection, const http::ClientResult& result) {
  const std::string& why = result.error;
  if (result.certificate_refused) {
    return CtlError(k_exit_server, fmt::format("cannot trust {}: {}", connection.server, why),
                    "renew the server's certificate, connect by the name it was issued for, or "
                    "give the CA that signed it with --ca-file (CICD_CA_FILE, or the context's "
                    "ca-file)");
  }
  return CtlError(k_exit_server, fmt::format("cannot reach {}: {}", connection.server, why),
                  "is the server running at that address? (--server, CICD_SERVER or the "
                  "context's server)");
}

} // namespace

ApiClient::ApiClient(Connection connection) : m_connection(std::move(connection)) {}

ApiResponse ApiClient::send(const std::string& method, const std::string& path,
                            const std::string& body, const std::vector<std::string>& headers) {
  auto result = m_client.perform(request_for(m_connection, method, path, body, headers));
  if (result.end == http::ClientResult::End::failed) {
    throw unreachable(m_connection, result);
  }
  return result.response;
}

ApiResponse ApiClient::call(const std::string& method, const std::string& path,
                            const std::string& body, const std::vector<std::string>& headers,
                            const std::vector<long>& also_ok) {
  auto response = send(method, path, body, headers);
  bool ok = (response.status >= 200 && response.status < 300) ||
            std::find(also_ok.begin(), also_ok.end(), response.status) != also_ok.end();
  if (!ok) {
    throw refusal(response, method, path);
  }
  return response;
}

rapidjson::Document ApiClient::get_json(const std::string& path) {
  return parse_document(call("GET", path).body, "GET " + path);
}

ApiClient::StreamEnd ApiClient::stream(const std::string& path,
                                       const std::function<bool(std::string_view)>& on_bytes,
                                       ApiResponse* head) {
  auto request = request_for(m_connection, "GET", path, {}, {});
  request.streaming = true;
  auto result = m_client.perform(request, on_bytes);
  if (head != nullptr) {
    *head = result.response;
  }
  if (result.end == http::ClientResult::End::stopped) {
    return StreamEnd::stopped;
  }
  if (result.response.status >= 300) {
    throw refusal(result.response, "GET", path);
  }
  if (result.end == http::ClientResult::End::complete) {
    return StreamEnd::complete;
  }
  if (result.response.status == 0) { // nothing came back: not reachable
    throw unreachable(m_connection, result);
  }
  return StreamEnd::cut;
}

rapidjson::Document list_all(ApiClient& api, std::string path) {
  rapidjson::Document items(rapidjson::kArrayType);
  for (int page = 0; page < 10000 && !path.empty(); ++page) {
    auto document = api.get_json(path);
    if (document.HasMember("items") && document["items"].IsArray()) {
      for (auto& item : document["items"].GetArray()) {
        items.PushBack(rapidjson::Value(item, items.GetAllocator()), items.GetAllocator());
      }
    }
    path = string_of(document, "next");
  }
  return items;
}

CtlError refusal(const ApiResponse& response, const std::string& method, const std::string& path) {
  std::string detail;
  std::string field;
  rapidjson::Document problem;
  problem.Parse(response.body.data(), response.body.size());
  if (!problem.HasParseError() && problem.IsObject()) {
    if (problem.HasMember("detail") && problem["detail"].IsString()) {
      detail = problem["detail"].GetString();
    }
    if (problem.HasMember("field") && problem["field"].IsString()) {
      field = problem["field"].GetString();
    }
  }
  if (detail.empty()) {
    detail = fmt::format("{} {} answered {}", method, path, response.status);
  }
  if (response.status == 401) {
    return CtlError(k_exit_server, "the server refused the token: " + detail,
                    "run `cicd ctl login` again, or set CICD_TOKEN to a valid token");
  }
  if (response.status == 403) {
    return CtlError(k_exit_server, detail, "ask an admin for a token with the scope it needs");
  }
  if (!field.empty() && detail.find(field) == std::string::npos) {
    detail += " (" + field + ")";
  }
  return CtlError(k_exit_server, detail);
}

std::string segment(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

rapidjson::Document parse_document(const std::string& body, const std::string& what) {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (document.HasParseError()) {
    throw CtlError(k_exit_server, what + " did not answer JSON: is --server a cicd master?");
  }
  return document;
}

} // namespace cicd::ctl

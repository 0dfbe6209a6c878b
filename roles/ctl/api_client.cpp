#include "api_client.hpp"

#include "ctl_error.hpp"

#include <curl/curl.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace cicd::ctl {
namespace {

CURL* handle(void* curl) {
  return static_cast<CURL*>(curl);
}

struct Transfer {
  ApiResponse* response = nullptr;
  const std::function<bool(std::string_view)>* on_bytes = nullptr;
  bool stopped = false;
  bool refused = false; // a non-2xx answer: its body is kept, not streamed
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer.response->headers.clear(); // a new response (after a 100 Continue)
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      transfer.response->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
      transfer.refused = transfer.response->status >= 300;
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    transfer.response->headers[name] = std::string(value);
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view bytes(data, size * count);
  if (transfer.on_bytes == nullptr || transfer.refused) {
    transfer.response->body.append(bytes);
    return bytes.size();
  }
  if (!(*transfer.on_bytes)(bytes)) {
    transfer.stopped = true;
    return 0; // aborts the transfer
  }
  return bytes.size();
}

// One request; the body goes to transfer.on_bytes when set, else is kept in the response.
CURLcode perform(CURL* curl, const Connection& connection, const std::string& method,
                 const std::string& path, const std::string& body,
                 const std::vector<std::string>& headers, Transfer& transfer) {
  curl_easy_reset(curl);
  auto url = connection.server + path;
  curl_slist* list = nullptr;
  if (!connection.token.empty()) {
    list = curl_slist_append(list, ("Authorization: Bearer " + connection.token).c_str());
  }
  if (!body.empty()) {
    list = curl_slist_append(list, "Content-Type: application/json");
  }
  list = curl_slist_append(list, "Expect:"); // no 100-continue round trip
  for (const auto& header : headers) {
    list = curl_slist_append(list, header.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cicd-ctl/" CICD_VERSION);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  if (transfer.on_bytes == nullptr) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  } else {
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L); // a quiet run sends nothing for a while
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  auto code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  return code;
}

CtlError unreachable(const Connection& connection, CURLcode code) {
  return CtlError(k_exit_server,
                  fmt::format("cannot reach {}: {}", connection.server, curl_easy_strerror(code)),
                  "is the server running at that address? (--server, CICD_SERVER or the "
                  "context's server)");
}

} // namespace

std::string ApiResponse::header(const std::string& lower_name) const {
  auto found = headers.find(lower_name);
  return found == headers.end() ? std::string() : found->second;
}

ApiClient::ApiClient(Connection connection) : m_connection(std::move(connection)) {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  m_curl = curl_easy_init();
  if (m_curl == nullptr) {
    throw CtlError(k_exit_server, "cannot start an HTTP client (libcurl)");
  }
}

ApiClient::~ApiClient() {
  curl_easy_cleanup(handle(m_curl));
}

ApiResponse ApiClient::send(const std::string& method, const std::string& path,
                            const std::string& body, const std::vector<std::string>& headers) {
  ApiResponse response;
  Transfer transfer{&response, nullptr, false, false};
  if (auto code = perform(handle(m_curl), m_connection, method, path, body, headers, transfer);
      code != CURLE_OK) {
    throw unreachable(m_connection, code);
  }
  return response;
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
  ApiResponse response;
  Transfer transfer{&response, &on_bytes, false, false};
  auto code = perform(handle(m_curl), m_connection, "GET", path, {}, {}, transfer);
  if (head != nullptr) {
    *head = response;
  }
  if (transfer.stopped) {
    return StreamEnd::stopped;
  }
  if (response.status >= 300) {
    throw refusal(response, "GET", path);
  }
  if (code == CURLE_OK) {
    return StreamEnd::complete;
  }
  if (response.status == 0) { // nothing came back: not reachable
    throw unreachable(m_connection, code);
  }
  return StreamEnd::cut;
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

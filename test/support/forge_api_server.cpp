#include "support/forge_api_server.hpp"

#include <rapidjson/document.h>

#include <fmt/format.h>

namespace cicd::test {
namespace {

std::string member(const rapidjson::Document& document, const char* name) {
  if (!document.IsObject() || !document.HasMember(name) || !document[name].IsString()) {
    return {};
  }
  return document[name].GetString();
}

} // namespace

ForgeApiServer::ForgeApiServer() {
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;
  options.handler_threads = 2;
  m_server = std::make_unique<http::Server>(
      options, [this](http::Request&& request) { return answer(std::move(request)); });
  m_thread = std::thread([this] { m_server->run(); });
}

ForgeApiServer::~ForgeApiServer() {
  m_server->stop();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

std::string ForgeApiServer::url() const {
  return fmt::format("http://127.0.0.1:{}", m_server->port());
}

void ForgeApiServer::fail_next(int count, int status) {
  std::lock_guard lock(m_mutex);
  m_fail_count = count;
  m_fail_status = status;
}

void ForgeApiServer::answer_always(int status) {
  std::lock_guard lock(m_mutex);
  m_always = status;
}

std::vector<RecordedStatus> ForgeApiServer::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

http::Reply ForgeApiServer::answer(http::Request&& request) {
  RecordedStatus recorded;
  recorded.target = std::string(request.target());
  for (const char* name : {"Authorization", "PRIVATE-TOKEN"}) {
    if (auto it = request.find(name); it != request.end()) {
      recorded.authorization = std::string(it->value());
    }
  }
  recorded.body = request.body();
  rapidjson::Document document;
  document.Parse(recorded.body.data(), recorded.body.size());
  recorded.state = member(document, "state");
  recorded.context =
      member(document, "context").empty() ? member(document, "name") : member(document, "context");
  recorded.description = member(document, "description");
  recorded.target_url = member(document, "target_url");
  int status = 201;
  {
    std::lock_guard lock(m_mutex);
    if (m_fail_count > 0) {
      --m_fail_count;
      status = m_fail_status;
    } else if (m_always != 0) {
      status = m_always;
    }
    recorded.answered = status;
    m_requests.push_back(recorded);
  }
  http::Response response(static_cast<http::Status>(status), 11);
  response.set("Content-Type", "application/json");
  response.body() = status == 201 ? R"({"id":1})" : R"({"message":"Validation Failed"})";
  response.prepare_payload();
  return response;
}

} // namespace cicd::test

#include "api_fixture.hpp"

#include "support/postgres.hpp"

#include <rapidjson/error/en.h>

#include <iostream>

namespace cicd::test {

void ApiTest::SetUp() {
  if (GetParam() == "postgresql") {
    // Skips loudly without a server, or fails under CI=true.
    m_postgres_url = fresh_postgres_database();
    if (m_postgres_url.empty()) {
      return;
    }
  }
  m_master = std::make_unique<CicdMaster>(m_postgres_url);
}

void ApiTest::TearDown() {
  if (m_master && HasFailure()) {
    auto log = m_master->log();
    constexpr std::size_t k_tail = 8192;
    if (log.size() > k_tail) {
      log = "…" + log.substr(log.size() - k_tail);
    }
    std::cerr << "--- the master's log (" << GetParam() << ") ---\n" << log << "--- end ---\n";
  }
  m_master.reset();
  if (!m_postgres_url.empty()) {
    drop_postgres_database(m_postgres_url);
  }
}

HttpResponse ApiTest::call(Verb method, std::string_view target, std::string_view body,
                           const std::string& scope, HttpHeaders headers) {
  if (!scope.empty()) {
    headers.emplace_back("Authorization", "Bearer " + token(scope));
  }
  return client().request(method, target, body, headers);
}

HttpResponse ApiTest::call_with_authorization(Verb method, std::string_view target,
                                              const std::string& authorization,
                                              std::string_view body) {
  return client().request(method, target, body, {{"Authorization", authorization}});
}

HttpResponse ApiTest::put_job(std::string_view name, std::string_view body, HttpHeaders headers) {
  return call(Verb::put, "/jobs/" + std::string(name), body, "admin", std::move(headers));
}

HttpResponse ApiTest::trigger(std::string_view job, std::string_view body, HttpHeaders headers) {
  return call(Verb::post, "/jobs/" + std::string(job) + "/runs", body, "trigger",
              std::move(headers));
}

std::int64_t ApiTest::trigger_run(std::string_view job) {
  auto response = trigger(job, R"({"commitSha":")" + std::string(k_zero_sha) + R"("})");
  EXPECT_EQ(response.status, 201) << response.body;
  auto document = parse_json(response.body);
  return document.IsObject() && document.HasMember("id") && document["id"].IsInt64()
             ? document["id"].GetInt64()
             : -1;
}

std::string ApiTest::observable_state(std::string_view job) {
  std::string state;
  auto job_path = "/jobs/" + std::string(job);
  for (const auto& target : {std::string("/jobs?limit=200"), job_path, job_path + "/runs?limit=200",
                             job_path + "/secrets"}) {
    auto response = call(Verb::get, target, {}, "read");
    state += target + " → " + std::to_string(response.status) + " " + response.body + "\n";
  }
  return state;
}

rapidjson::Document parse_json(const std::string& body) {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (document.HasParseError()) {
    ADD_FAILURE() << "the response body is not JSON ("
                  << rapidjson::GetParseError_En(document.GetParseError()) << " at byte "
                  << document.GetErrorOffset() << "): " << body;
    document.SetNull();
  }
  return document;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsString()) {
    return {};
  }
  return std::string(object[name].GetString(), object[name].GetStringLength());
}

testing::AssertionResult is_problem(const HttpResponse& response, int status,
                                    std::string_view field) {
  auto fail = [&]() {
    return testing::AssertionFailure()
           << "expected a " << status << " problem"
           << (field.empty() ? "" : " naming field '" + std::string(field) + "'") << ", got "
           << response.status << " " << response.header("Content-Type") << ": " << response.body;
  };
  if (response.status != status) {
    return fail() << " (wrong status)";
  }
  if (response.header("Content-Type") != "application/problem+json") {
    return fail() << " (wrong Content-Type)";
  }
  rapidjson::Document document;
  document.Parse(response.body.data(), response.body.size());
  if (document.HasParseError() || !document.IsObject()) {
    return fail() << " (the body is not a JSON object)";
  }
  if (string_member(document, "type").empty() || string_member(document, "title").empty()) {
    return fail() << " (no \"type\" or \"title\")";
  }
  if (!document.HasMember("status") || !document["status"].IsInt() ||
      document["status"].GetInt() != status) {
    return fail() << " (\"status\" differs)";
  }
  if (string_member(document, "detail").empty()) {
    return fail() << " (no \"detail\")";
  }
  if (!field.empty() && string_member(document, "field") != field) {
    return fail() << " (\"field\" differs)";
  }
  return testing::AssertionSuccess();
}

} // namespace cicd::test

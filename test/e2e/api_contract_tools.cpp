#include "api_contract_tools.hpp"

#include "support/git_repos.hpp"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string_view>

namespace cicd::test {
namespace {

// void so that FAIL() and GTEST_SKIP() can end it.
void report_missing(const std::string& message) {
  if (const char* ci = std::getenv("CI"); ci != nullptr && std::string_view(ci) == "true") {
    FAIL() << message;
  }
  GTEST_SKIP() << "\n*** SKIPPED: " << message << " ***\n";
}

// Whether a body of this Content-Type is text the validator reads (JSON, problem+json, XML,
// plain text, event streams), rather than bytes it only checks the type of.
bool is_text(std::string_view content_type) {
  return content_type.find("json") != std::string_view::npos || content_type.starts_with("text/") ||
         content_type.starts_with("application/xml");
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

std::filesystem::path openapi_spec_path() {
  return std::filesystem::path(CICD_TEST_DATA).parent_path().parent_path() / "docs" /
         "openapi.yaml";
}

std::filesystem::path openapi_tools_directory() {
  return std::filesystem::path(CICD_TEST_DATA).parent_path() / "openapi";
}

bool openapi_tools_ready() {
  if (!have_tool("node", "nodejs")) {
    return false;
  }
  for (const char* package : {"@apidevtools/swagger-parser", "ajv", "ajv-formats"}) {
    if (std::filesystem::exists(openapi_tools_directory() / "node_modules" / package)) {
      continue;
    }
    report_missing(std::string("test/openapi/node_modules/") + package +
                   " is missing: run scripts/setup (npm ci in test/openapi)");
    return false;
  }
  return true;
}

std::string run_openapi_tool(const std::string& script, const std::string& arguments) {
  return run_shell("cd " + shell_quote(openapi_tools_directory().string()) + " && node " + script +
                   " " + arguments + " 2>&1");
}

HttpResponse ExchangeRecorder::send(boost::beast::http::verb method, const std::string& target,
                                    std::string_view body, const HttpHeaders& headers,
                                    bool unrouted) {
  auto response = m_client.request(method, target, body, headers);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("method");
  auto method_name = boost::beast::http::to_string(method);
  writer.String(method_name.data(), static_cast<rapidjson::SizeType>(method_name.size()));
  writer.Key("target");
  writer.String(target.data(), static_cast<rapidjson::SizeType>(target.size()));
  writer.Key("status");
  writer.Int(response.status);
  writer.Key("headers");
  writer.StartObject();
  for (const auto& field : response.headers) {
    auto name = lower(field.name_string());
    writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    writer.String(field.value().data(), static_cast<rapidjson::SizeType>(field.value().size()));
  }
  writer.EndObject();
  if (is_text(response.header("Content-Type")) || response.body.empty()) {
    writer.Key("body");
    writer.String(response.body.data(), static_cast<rapidjson::SizeType>(response.body.size()));
  } else {
    writer.Key("bodyOmitted");
    writer.Bool(true);
  }
  if (unrouted) {
    writer.Key("unrouted");
    writer.Bool(true);
  }
  writer.EndObject();
  m_lines.append(buffer.GetString(), buffer.GetSize());
  m_lines += '\n';
  ++m_count;
  return response;
}

void ExchangeRecorder::write(const std::filesystem::path& file) const {
  std::ofstream(file, std::ios::binary) << m_lines;
}

} // namespace cicd::test

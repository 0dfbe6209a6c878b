#pragma once
// What the API contract tests share: where docs/openapi.yaml and the node tools of
// test/openapi/ (validate_spec.mjs, validate_exchanges.mjs) are, and running those tools.
// Without node or test/openapi/node_modules (scripts/setup installs them) the tests fail
// under CI=true and are skipped loudly elsewhere.

#include "support/http_client.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace cicd::test {

std::filesystem::path openapi_spec_path();       // docs/openapi.yaml
std::filesystem::path openapi_tools_directory(); // test/openapi

// Whether node and the tools' packages are there; records a failure (CI) or a skip otherwise.
// The caller returns when it is false.
bool openapi_tools_ready();

// Runs `node <script> <arguments…>` in test/openapi; returns what it printed (stdout and
// stderr). A non-zero exit records a failure that shows that output.
std::string run_openapi_tool(const std::string& script, const std::string& arguments);

// Sends requests and keeps each exchange for test/openapi/validate_exchanges.mjs: the method,
// target, status, response headers and body (left out when it is not text: zip, gzip,
// octet-stream). Thread safety: none.
class ExchangeRecorder {
public:
  explicit ExchangeRecorder(HttpClient client) : m_client(std::move(client)) {}

  // `unrouted`: no operation of the spec answers this request (a 404 for a path nobody
  // serves, a 405 for a wrong method); its answer is checked to be a Problem only.
  HttpResponse send(boost::beast::http::verb method, const std::string& target,
                    std::string_view body = {}, const HttpHeaders& headers = {},
                    bool unrouted = false);
  std::size_t size() const { return m_count; }
  // Writes the exchanges, one JSON object a line.
  void write(const std::filesystem::path& file) const;

private:
  HttpClient m_client;
  std::string m_lines;
  std::size_t m_count = 0;
};

} // namespace cicd::test

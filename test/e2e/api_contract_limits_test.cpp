// The answers the contract scenario cannot provoke on a default server, held to
// docs/openapi.yaml like the scenario's (test/openapi/validate_exchanges.mjs --partial): a
// token over --rate-limit gets the declared 429 with Retry-After, and a request with headers
// over --header-limit (16 KiB by default) the declared 431.
#include "api_contract_tools.hpp"

#include "support/cicd_master.hpp"
#include "support/git_repos.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>

#include <filesystem>
#include <iostream>
#include <string>

namespace cicd::test {
namespace {

using Verb = boost::beast::http::verb;

TEST(ApiContractLimits, RateLimitedAndOversizedRequestsAnswerAsTheSpecSays) {
  if (!openapi_tools_ready()) {
    return;
  }
  CicdMaster master({}, {"--rate-limit", "1"});
  ExchangeRecorder recorder(master.client());
  HttpHeaders admin = {{"Authorization", "Bearer " + master.token("admin", "contract-limits")}};
  recorder.send(Verb::put, "/jobs/limited",
                R"({"type":"freestyle","image":"debian:12","script":"make"})", admin);
  // At --rate-limit 1 a token's burst is 10 requests: the bounded loop ends at the first 429.
  int refused_reads = 0;
  for (int i = 0; i < 40 && refused_reads == 0; ++i) {
    refused_reads += recorder.send(Verb::get, "/jobs", {}, admin).status == 429 ? 1 : 0;
  }
  EXPECT_EQ(refused_reads, 1);
  auto header = std::string(20 * 1024, 'x');
  auto too_big = recorder.send(Verb::get, "/settings", {}, {{"X-Padding", header}});
  EXPECT_EQ(too_big.status, 431) << too_big.body;

  auto file = std::filesystem::current_path() / "api-contract-limits-exchanges.jsonl";
  recorder.write(file);
  auto output = run_openapi_tool("validate_exchanges.mjs",
                                 "--partial " + shell_quote(openapi_spec_path().string()) + " " +
                                     shell_quote(file.string()));
  std::cout << output;
  EXPECT_NE(output.find("exchanges match the spec"), std::string::npos) << output;
}

} // namespace
} // namespace cicd::test

#pragma once
// The fixture of the REST API end-to-end tests: each test gets its own `cicd master` (the real
// binary) on a fresh store, once with SQLite and once with PostgreSQL (the test parameter).
// Without a PostgreSQL server the PostgreSQL instances skip loudly, or fail under CI=true
// (support/postgres.hpp).

#include "support/cicd_master.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <boost/beast/http/verb.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace cicd::test {

using Verb = boost::beast::http::verb;

// The job of the README's first curl line.
inline constexpr std::string_view k_readme_job =
    R"({"type":"freestyle","image":"debian:12","script":"make test"})";
inline constexpr std::string_view k_zero_sha = "0000000000000000000000000000000000000000";

class ApiTest : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override;
  void TearDown() override;

  CicdMaster& master() { return *m_master; }
  HttpClient client() const { return m_master->client(); }
  const std::string& token(const std::string& scope) { return m_master->token(scope); }

  // A request with "Authorization: Bearer <a token of `scope`>" (no Authorization when
  // `scope` is empty).
  HttpResponse call(Verb method, std::string_view target, std::string_view body = {},
                    const std::string& scope = "admin", HttpHeaders headers = {});
  // A request with exactly the given Authorization header value.
  HttpResponse call_with_authorization(Verb method, std::string_view target,
                                       const std::string& authorization,
                                       std::string_view body = {});

  HttpResponse put_job(std::string_view name, std::string_view body = k_readme_job,
                       HttpHeaders headers = {});
  HttpResponse trigger(std::string_view job, std::string_view body, HttpHeaders headers = {});
  // Triggers on `commitSha` 000…0 and returns the new run's id (asserting 201).
  std::int64_t trigger_run(std::string_view job);

  // Everything the API says about `job` and the job list, as one comparable text: GET /jobs,
  // GET /jobs/{job}, its runs and its secrets. Equal before and after a refused request proves
  // that nothing was stored or changed.
  std::string observable_state(std::string_view job);

private:
  std::string m_postgres_url; // empty for SQLite
  std::unique_ptr<CicdMaster> m_master;
};

// Parses a JSON response body; a parse error fails the test and yields a null document.
rapidjson::Document parse_json(const std::string& body);

// Whether `response` is an RFC 9457 problem: the exact `status`, Content-Type
// application/problem+json, and a JSON body with "type", "title", "status" (= `status`) and a
// non-empty "detail", plus "field" equal to `field` when `field` is given.
testing::AssertionResult is_problem(const HttpResponse& response, int status,
                                    std::string_view field = {});

// The named member of a JSON object as a string ("" when absent or not a string).
std::string string_member(const rapidjson::Value& object, const char* name);

// Registers a suite derived from ApiTest for both stores, named Stores/<Suite>.<Test>/<store>.
#define CICD_INSTANTIATE_FOR_BOTH_STORES(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      Stores, suite, testing::Values("sqlite", "postgresql"),                                      \
      [](const testing::TestParamInfo<std::string>& store) { return store.param; })

} // namespace cicd::test

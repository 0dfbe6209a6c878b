// HTTP-level behaviour: methods, routes, malformed requests, size limits, shutdown. Malformed
// requests go out as raw bytes.
#include "api_fixture.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <thread>

namespace cicd::test {
namespace {

class ApiHttpTest : public ApiTest {
protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ASSERT_EQ(put_job("unit-test").status, 201);
  }

  // The start of a raw request with Host and Authorization (admin), without the final CRLF.
  std::string raw_head(std::string_view request_line) {
    return std::string(request_line) + "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           token("admin") + "\r\n";
  }

  // The server still serves real requests after a bad one.
  void expect_still_serving() {
    EXPECT_EQ(call(Verb::get, "/healthz", {}, "").status, 200);
    EXPECT_EQ(call(Verb::get, "/jobs/unit-test", {}, "read").status, 200);
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiHttpTest);

constexpr std::size_t k_mib = 1024 * 1024;

// One chunk of a chunked body.
std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

TEST_P(ApiHttpTest, WrongMethodIs405WithAllow) {
  auto before = observable_state("unit-test");
  const std::vector<std::tuple<Verb, std::string, std::vector<std::string>>> cases = {
      {Verb::patch, "/jobs/unit-test", {"GET", "PUT", "DELETE"}},
      {Verb::post, "/jobs/unit-test", {"GET", "PUT", "DELETE"}},
      {Verb::delete_, "/jobs", {"GET"}},
      {Verb::put, "/jobs/unit-test/runs", {"GET", "POST"}},
      {Verb::delete_, "/jobs/unit-test/runs/1", {"GET"}},
      {Verb::get, "/jobs/unit-test/runs/1/abort", {"POST"}},
      {Verb::post, "/jobs/unit-test/secrets", {"GET"}},
  };
  for (const auto& [method, target, allowed] : cases) {
    auto response = call(method, target, "{}", "admin");
    EXPECT_TRUE(is_problem(response, 405)) << target;
    auto allow = response.header("Allow");
    for (const auto& verb : allowed) {
      EXPECT_NE(allow.find(verb), std::string::npos) << target << ": Allow: " << allow;
    }
  }
  auto healthz = call(Verb::post, "/healthz", {}, "");
  EXPECT_TRUE(is_problem(healthz, 405));
  EXPECT_EQ(healthz.header("Allow"), "GET");
  EXPECT_EQ(observable_state("unit-test"), before);
}

TEST_P(ApiHttpTest, UnknownRouteIs404) {
  for (const auto* target : {"/", "/nope", "/jobs/unit-test/nope", "/jobs/unit-test/runs/1/x/y"}) {
    EXPECT_TRUE(is_problem(call(Verb::get, target, {}, "read"), 404)) << target;
  }
}

TEST_P(ApiHttpTest, ConflictingContentLengthAndTransferEncodingIs400) {
  auto before = observable_state("unit-test");
  std::string body = R"({"branchName":"main"})";
  auto chunked_and_length =
      client().raw(raw_head("POST /jobs/unit-test/runs HTTP/1.1") +
                   "Content-Length: " + std::to_string(body.size()) +
                   "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(body) + "0\r\n\r\n");
  EXPECT_TRUE(is_problem(chunked_and_length, 400));
  auto two_lengths = client().raw(raw_head("POST /jobs/unit-test/runs HTTP/1.1") +
                                  "Content-Length: " + std::to_string(body.size()) +
                                  "\r\nContent-Length: 3\r\n\r\n" + body);
  EXPECT_TRUE(is_problem(two_lengths, 400));
  auto unknown_coding = client().raw(raw_head("POST /jobs/unit-test/runs HTTP/1.1") +
                                     "Transfer-Encoding: gzip, chunked, identity\r\n\r\n" +
                                     chunk(body) + "0\r\n\r\n");
  EXPECT_TRUE(is_problem(unknown_coding, 400));
  EXPECT_EQ(observable_state("unit-test"), before);
  expect_still_serving();
}

TEST_P(ApiHttpTest, AValidChunkedBodyIsAccepted) {
  // The control for the test above: chunked alone is fine.
  std::string body = R"({"branchName":"main"})";
  auto response = client().raw(raw_head("POST /jobs/unit-test/runs HTTP/1.1") +
                               "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
                               chunk(body) + "0\r\n\r\n");
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_P(ApiHttpTest, HundredKilobyteHeadersAre431) {
  auto before = observable_state("unit-test");
  auto response = client().raw(raw_head("PUT /jobs/unit-test HTTP/1.1") + "X-Padding: " +
                               std::string(100 * 1024, 'a') + "\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_TRUE(is_problem(response, 431));
  auto many = raw_head("GET /jobs HTTP/1.1");
  for (int i = 0; i < 2000; ++i) {
    many += "X-H" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  }
  EXPECT_TRUE(is_problem(client().raw(many + "\r\n"), 431));
  EXPECT_EQ(observable_state("unit-test"), before);
  expect_still_serving();
}

TEST_P(ApiHttpTest, BodiesOverOneMebibyteAre413) {
  // Valid JSON padded with spaces to exactly the limit is accepted; one byte more is not.
  std::string at_limit(k_readme_job);
  at_limit.resize(k_mib, ' ');
  auto accepted = put_job("at-limit", at_limit);
  EXPECT_EQ(accepted.status, 201) << accepted.body.substr(0, 200);
  auto before = observable_state("big");

  std::string over(k_readme_job);
  over.resize(k_mib + 1, ' ');
  EXPECT_TRUE(is_problem(put_job("big", over), 413));

  auto declared = client().raw(
      raw_head("PUT /jobs/big HTTP/1.1") + "Content-Length: " + std::to_string(2 * k_mib) +
      "\r\n\r\n" + std::string(k_readme_job) + std::string(2 * k_mib - k_readme_job.size(), ' '));
  EXPECT_TRUE(is_problem(declared, 413));

  std::string chunked = raw_head("PUT /jobs/big HTTP/1.1") + "Transfer-Encoding: chunked\r\n\r\n";
  chunked += chunk(std::string(k_readme_job));
  for (int i = 0; i < 20; ++i) {
    chunked += chunk(std::string(128 * 1024, ' '));
  }
  EXPECT_TRUE(is_problem(client().raw(chunked + "0\r\n\r\n"), 413));

  std::string runs_body = R"({"branchName":"main"})";
  runs_body.resize(k_mib + 1, ' ');
  auto runs_before = observable_state("unit-test");
  EXPECT_TRUE(is_problem(trigger("unit-test", runs_body), 413));
  EXPECT_EQ(observable_state("unit-test"), runs_before);

  EXPECT_EQ(observable_state("big"), before);
  expect_still_serving();
}

TEST_P(ApiHttpTest, GarbageIs400AndTheServerCarriesOn) {
  EXPECT_TRUE(is_problem(client().raw("NOT HTTP AT ALL\r\n\r\n"), 400));
  EXPECT_TRUE(is_problem(client().raw(raw_head("GET /jobs?limit=%zz HTTP/1.1") + "\r\n"), 400));
  expect_still_serving();
}

TEST_P(ApiHttpTest, ServesManyRequestsFromSeveralClientsAtOnce) {
  constexpr int k_clients = 4;
  constexpr int k_requests_each = 100;
  HttpHeaders authorization = {{"Authorization", "Bearer " + token("read")}};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < k_clients; ++c) {
    clients.emplace_back([&, http = client()] {
      for (int i = 0; i < k_requests_each; ++i) {
        try {
          if (http.request(Verb::get, "/jobs/unit-test", {}, authorization).status != 200) {
            ++failures;
          }
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : clients) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(master().running()) << master().log();
  expect_still_serving();
}

TEST_P(ApiHttpTest, KeysAreCreatedPrivateInTheDataDir) {
  for (const auto* name : {"jwt.key", "secrets.key"}) {
    struct stat info {};
    ASSERT_EQ(::stat((master().data_dir() / name).c_str(), &info), 0) << name;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
  }
}

TEST_P(ApiHttpTest, SigtermStopsTheMasterCleanly) {
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(master().stop(std::chrono::seconds(10)), 0) << master().log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

} // namespace
} // namespace cicd::test

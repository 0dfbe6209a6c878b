// The API's limits, each set small on a real `cicd master`: per-token rates (429 with
// Retry-After, other tokens unaffected, nothing stored), body and header sizes, the idle and
// read timeouts (a silent or trickling client is cut off while others are served), and the
// number of connections (one more is answered 503).
#include "agent_fixture.hpp" // holds_text

#include "support/cicd_master.hpp"
#include "support/raw_connection.hpp"

#include <thread>

namespace cicd::test {
namespace {
using namespace std::chrono_literals;

constexpr std::string_view k_job = R"({"type":"freestyle","image":"debian:12","script":"make"})";

HttpResponse get_as(const CicdMaster& master, const std::string& token, std::string_view path) {
  return master.client().request(Verb::get, path, {}, {{"Authorization", "Bearer " + token}});
}

TEST(ApiLimits, ATokenOverItsRateIsAnswered429WithRetryAfterAndOthersGoOn) {
  CicdMaster master({}, {"--rate-limit", "1", "--trigger-rate-limit", "2"});
  auto& busy = master.token("admin", "runaway-script");
  int refused = 0;
  HttpResponse last;
  for (int i = 0; i < 15; ++i) { // a burst of 10 is allowed, then 1 a second
    auto response = get_as(master, busy, "/jobs");
    if (response.status == 429) {
      ++refused;
      last = response;
    }
  }
  EXPECT_GE(refused, 3);
  ASSERT_TRUE(is_problem(last, 429)) << last.body;
  EXPECT_TRUE(holds_text(last.body, "'runaway-script' sent more than 1 requests a second: retry "
                                    "in 1 s"));
  EXPECT_EQ(last.header("Retry-After"), "1");
  EXPECT_EQ(get_as(master, master.token("read", "someone-else"), "/jobs").status, 200)
      << "another token was held back";
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(get_as(master, busy, "/jobs").status, 200) << "the token stayed blocked";
}

TEST(ApiLimits, TriggersHaveTheirOwnRateAndARefusedOneStoresNothing) {
  CicdMaster master({}, {"--trigger-rate-limit", "2"});
  auto& token = master.token("admin", "deployer");
  auto headers = HttpHeaders{{"Authorization", "Bearer " + token}};
  ASSERT_EQ(master.client().request(Verb::put, "/jobs/unit-test", k_job, headers).status, 201);
  auto body = R"({"branchName":"main"})";
  EXPECT_EQ(master.client().request(Verb::post, "/jobs/unit-test/runs", body, headers).status, 201);
  EXPECT_EQ(master.client().request(Verb::post, "/jobs/unit-test/runs", body, headers).status, 201);
  auto third = master.client().request(Verb::post, "/jobs/unit-test/runs", body, headers);
  ASSERT_TRUE(is_problem(third, 429)) << third.body;
  EXPECT_TRUE(holds_text(third.body, "'deployer' started or stopped more than 2 runs a minute: "
                                     "retry in 30 s"));
  EXPECT_EQ(third.header("Retry-After"), "30");
  auto runs = parse_json(get_as(master, token, "/jobs/unit-test/runs").body);
  EXPECT_EQ(runs["items"].Size(), 2u) << "the refused trigger stored a run";
  EXPECT_EQ(get_as(master, token, "/jobs/unit-test").status, 200) << "reads are not triggers";
}

TEST(ApiLimits, BodyAndHeaderLimitsAreConfigurable) {
  CicdMaster master({}, {"--body-limit", "2048", "--header-limit", "2048"});
  auto headers = HttpHeaders{{"Authorization", "Bearer " + master.token("admin")}};
  std::string big =
      R"({"type":"freestyle","image":"debian:12","script":")" + std::string(3000, 'x') + R"("})";
  auto too_big = master.client().request(Verb::put, "/jobs/big", big, headers);
  ASSERT_TRUE(is_problem(too_big, 413)) << too_big.body;
  EXPECT_TRUE(holds_text(too_big.body, "the request body is larger than the 2 KiB limit"));
  EXPECT_EQ(get_as(master, master.token("admin"), "/jobs/big").status, 404);
  auto long_headers = headers;
  long_headers.emplace_back("X-Padding", std::string(3000, 'p'));
  auto too_long = master.client().request(Verb::get, "/jobs", {}, long_headers);
  ASSERT_TRUE(is_problem(too_long, 431)) << too_long.body;
  EXPECT_TRUE(holds_text(too_long.body, "the request headers are larger than the 2 KiB limit"));
  EXPECT_EQ(master.client().request(Verb::put, "/jobs/small", k_job, headers).status, 201);
}

TEST(ApiLimits, SilentAndTricklingClientsAreCutOffWhileOthersAreServed) {
  CicdMaster master({}, {"--idle-timeout", "1", "--read-timeout", "2"});
  RawConnection silent(master.port());
  RawConnection trickling(master.port());
  ASSERT_TRUE(silent.connected() && trickling.connected());
  trickling.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // and never the end
  EXPECT_EQ(master.client().request(Verb::get, "/healthz").status, 200);
  bool closed = false;
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.read_until_closed(10s, closed), "");
  EXPECT_TRUE(closed) << "a connection that sent nothing was kept";
  EXPECT_EQ(trickling.read_until_closed(10s, closed), "");
  EXPECT_TRUE(closed) << "a request that never ended was waited for";
  EXPECT_LT(std::chrono::steady_clock::now() - before, 8s);

  RawConnection kept(master.port());
  kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto answered = kept.read_until_closed(5s, closed);
  EXPECT_TRUE(answered.starts_with("HTTP/1.1 200")) << answered;
  EXPECT_TRUE(closed) << "a kept-alive connection outlived the idle timeout";
}

TEST(ApiLimits, OneConnectionOverTheMaximumIsAnswered503) {
  CicdMaster master({}, {"--max-connections", "3"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(master.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  std::this_thread::sleep_for(200ms); // the server has accepted them
  auto refused = master.client().request(Verb::get, "/healthz");
  ASSERT_TRUE(is_problem(refused, 503)) << refused.body;
  EXPECT_TRUE(holds_text(refused.body, "the server holds its maximum of 3 connections"));
  EXPECT_EQ(refused.header("Retry-After"), "1");
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(master.client().request(Verb::get, "/healthz").status, 200);
}

TEST(ApiLimits, OutOfRangeLimitsStopTheStartWithOneLine) {
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--body-limit", "10"}, {"--max-connections", "0"}, {"--rate-limit", "-1"}}) {
    auto result = run_cicd({"master", "--data-dir", "/tmp/cicd-limits-test", flag, value});
    EXPECT_EQ(result.exit_code, 2) << flag;
    EXPECT_TRUE(holds_text(result.err, flag)) << result.err;
  }
}

} // namespace
} // namespace cicd::test

// Issue 11, security tests of the HTTP front: a slowloris client (headers one byte a second)
// is cut off by the read timeout, ten thousand idle connections do not keep a real request
// from being answered, and path traversal in every path parameter is refused or not found
// without anything read or written outside (on both stores).
#include "api_fixture.hpp"

#include "support/cicd_master.hpp"
#include "support/raw_connection.hpp"

#include <sys/resource.h>

#include <filesystem>
#include <thread>

namespace cicd::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(SecurityHttp, ASlowlorisClientIsCutOffByTheReadTimeoutWhileOthersAreServed) {
  CicdMaster master({}, {"--read-timeout", "3", "--idle-timeout", "30"});
  RawConnection slow(master.port());
  ASSERT_TRUE(slow.connected());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(40, 'p') + "\r\n\r\n";
  std::size_t sent = 0;
  bool closed = false;
  std::string answer;
  for (; sent < request.size() && !closed; ++sent) {
    if (!slow.send(std::string_view(&request[sent], 1))) {
      closed = true;
      break;
    }
    answer += slow.read_until_closed(1000ms, closed);
    if (sent == 2) { // the slow client holds its connection: others are still served
      EXPECT_EQ(master.client().request(Verb::get, "/healthz").status, 200);
    }
  }
  EXPECT_TRUE(closed) << "a client sending one byte a second kept its connection for " << sent
                      << " s";
  // Cut off after about 3 s, long before its headers were complete (~70 bytes).
  EXPECT_LT(sent, request.size() - 20) << "the server waited for the whole request";
  EXPECT_EQ(answer, "") << "the cut-off client got an answer";
  EXPECT_TRUE(master.running());
  EXPECT_EQ(master.client().request(Verb::get, "/healthz").status, 200);
}

TEST(SecurityHttp, TenThousandIdleConnectionsDoNotStarveARealRequest) {
  // The default --max-connections is 10000: with 10,000 idle connections held, one more is
  // answered 503 (api_limits_test.cpp). Room for a few more shows that holding them costs the
  // server nothing that real requests need (threads, descriptors, the accept loop).
  CicdMaster master({}, {"--max-connections", "10100"});
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const std::size_t wanted = std::min<std::size_t>(10000, limit.rlim_cur - 256);
  ASSERT_GE(wanted, 10000u) << "RLIMIT_NOFILE " << limit.rlim_cur
                            << " is too low for 10,000 connections";
  std::vector<std::unique_ptr<RawConnection>> idle;
  idle.reserve(wanted);
  for (std::size_t i = 0; i < wanted; ++i) {
    idle.push_back(std::make_unique<RawConnection>(master.port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i << " failed: " << errno;
  }
  auto headers = HttpHeaders{{"Authorization", "Bearer " + master.token("read")}};
  HttpClient patient("127.0.0.1", master.port(), 60s);
  auto health = patient.request(Verb::get, "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  auto jobs = patient.request(Verb::get, "/jobs", {}, headers);
  EXPECT_EQ(jobs.status, 200) << jobs.body;
  // They are all still held open: none was dropped to make room.
  std::size_t open = 0;
  for (const auto& connection : idle) {
    bool closed = false;
    connection->read_until_closed(0ms, closed);
    open += closed ? 0 : 1;
  }
  EXPECT_EQ(open, wanted);
  idle.clear();
  EXPECT_EQ(master.client().request(Verb::get, "/healthz").status, 200);
  EXPECT_TRUE(master.running());
}

class SecurityPathTest : public ApiTest {};
CICD_INSTANTIATE_FOR_BOTH_STORES(SecurityPathTest);

// Path traversal in every path parameter of the API, in the forms attackers use: plain and
// percent-encoded "..", encoded slashes and backslashes, double encoding, absolute paths.
// Names are checked before anything is looked up (400 naming the parameter); values that are
// only ever looked up in the database (a result, an agent, an SSH host) are simply not found.
TEST_P(SecurityPathTest, TraversalInEveryPathParameterIsRefusedOrNotFoundAndTouchesNothing) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  auto run = std::to_string(trigger_run("unit-test"));
  ASSERT_EQ(call(Verb::put, "/jobs/unit-test/secrets/KEEP", R"({"value":"xxxx"})").status, 201);
  const std::vector<std::string> forms = {
      "%2e%2e",
      "..%2f..%2f..%2fetc%2fpasswd",
      "%2e%2e%2f%2e%2e%2fsec-traversal-marker",
      "%2fetc%2fpasswd",
      "%2Fetc%2Fpasswd",
      "..%5c..%5cetc%5cpasswd",
      "%252e%252e%252fetc%252fpasswd",
      "....%2f%2f",
      "%2e%2e%00",
      "etc%2fpasswd%00.json",
      "%c0%ae%c0%ae%2fetc", // an overlong UTF-8 "..", invalid UTF-8
  };
  struct Route {
    Verb method;
    std::string prefix; // the parameter follows
    std::string suffix;
    int status;
    std::string field;
  };
  const std::vector<Route> routes = {
      {Verb::get, "/jobs/", "", 400, "job"},
      {Verb::put, "/jobs/", "", 400, "job"},
      {Verb::delete_, "/jobs/", "", 400, "job"},
      {Verb::post, "/jobs/", "/runs", 400, "job"},
      {Verb::get, "/jobs/", "/runs", 400, "job"},
      {Verb::get, "/jobs/", "/secrets", 400, "job"},
      {Verb::post, "/jobs/", "/ssh-key", 400, "job"},
      {Verb::get, "/jobs/unit-test/runs/", "", 400, "id"},
      {Verb::post, "/jobs/unit-test/runs/", "/abort", 400, "id"},
      {Verb::post, "/jobs/unit-test/runs/", "/rerun", 400, "id"},
      {Verb::get, "/jobs/unit-test/runs/", "/results", 400, "id"},
      {Verb::get, "/jobs/unit-test/runs/", "/results/console", 400, "id"},
      {Verb::get, "/jobs/unit-test/runs/" + run + "/results/", "", 404, ""},
      {Verb::get, "/jobs/unit-test/runs/" + run + "/results/services/", "", 404, ""},
      {Verb::put, "/jobs/unit-test/secrets/", "", 400, "key"},
      {Verb::delete_, "/jobs/unit-test/secrets/", "", 400, "key"},
      {Verb::get, "/integrations/github/", "", 400, "name"},
      {Verb::put, "/integrations/gitlab/", "", 400, "name"},
      {Verb::delete_, "/integrations/github/", "", 400, "name"},
      {Verb::get, "/settings/resource-classes/", "", 400, "name"},
      {Verb::put, "/settings/resource-classes/", "", 400, "name"},
      {Verb::delete_, "/settings/resource-classes/", "", 400, "name"},
      // Only looked up: not found, but never a NUL or invalid UTF-8 (400 naming the parameter:
      // PostgreSQL would cut the text at the NUL or fail on the bytes).
      {Verb::post, "/agents/", "/drain", 404, "agent"},
      {Verb::delete_, "/settings/ssh-host-keys/", "", 404, "host"},
  };
  auto before = observable_state("unit-test");
  auto settings = call(Verb::get, "/settings/resource-classes", {}, "read").body;
  for (const auto& route : routes) {
    for (const auto& form : forms) {
      auto target = route.prefix + form + route.suffix;
      auto body = route.method == Verb::put ? std::string(k_readme_job) : std::string();
      auto response = call(route.method, target, body);
      auto status = route.status;
      auto field = route.field;
      if (status == 404) {
        bool not_text = form.find("%00") != std::string::npos || form.find("%c0") == 0;
        status = not_text && !field.empty() ? 400 : 404;
        field = status == 400 ? field : "";
      }
      EXPECT_TRUE(is_problem(response, status, field)) << to_string(route.method) << " " << target;
      EXPECT_EQ(response.body.find("root:"), std::string::npos) << target;
    }
  }
  // Unencoded dot segments are not resolved: "/jobs/../etc/passwd" is no route at all.
  for (const auto* raw : {"/jobs/../etc/passwd", "/jobs/unit-test/runs/1/results/../../../x",
                          "/jobs/unit-test/secrets/../../../etc"}) {
    auto response = call(Verb::get, raw, {}, "admin");
    EXPECT_TRUE(response.status == 400 || response.status == 404) << raw << response.status;
    EXPECT_TRUE(is_problem(response, response.status)) << raw;
    EXPECT_EQ(response.body.find("root:"), std::string::npos) << raw;
  }
  // The hooks check the signature first: an unknown connection is 401, whatever its name.
  for (const auto& form : forms) {
    auto hook = client().request(Verb::post, "/hooks/github/" + form, "{}",
                                 {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-1"}});
    EXPECT_TRUE(is_problem(hook, 401)) << form;
  }
  EXPECT_EQ(observable_state("unit-test"), before);
  EXPECT_EQ(call(Verb::get, "/settings/resource-classes", {}, "read").body, settings);
  // Nothing was written outside the master's directory.
  for (const auto& dir : {master().root_dir().parent_path(), master().root_dir()}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      EXPECT_EQ(entry.path().filename().string().find("sec-traversal-marker"), std::string::npos)
          << entry.path();
    }
  }
}

} // namespace
} // namespace cicd::test

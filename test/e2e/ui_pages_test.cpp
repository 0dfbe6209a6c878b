// The web pages of `cicd standalone` at /ui/, over plain HTTP (the browser tests in
// test/browser/ drive the same pages in chromium): signing in, the CSRF check, the 404 page,
// escaping, the Run form, downloads, abort and the relayed live console.
#include "agent_fixture.hpp"

#include "support/cicd_process.hpp"

#include <fmt/format.h>

#include <regex>

namespace cicd::test {
namespace {
using boost::beast::http::verb;

class UiPagesTest : public AgentTest {
protected:
  // GET /ui/signin, then POST it with `token` as a browser would (the sign-in CSRF cookie
  // and the form's token); `extra` is more of the form ("&next=…").
  HttpResponse post_sign_in(const std::string& token, const std::string& extra = {}) {
    auto form = standalone().client().request(verb::get, "/ui/signin");
    auto cookie = form.header("Set-Cookie");
    EXPECT_TRUE(holds_text(cookie, "cicd_signin="));
    return standalone().client().request(verb::post, "/ui/signin",
                                         "csrf=" + csrf_of(form.body) + "&token=" + token + extra,
                                         {{"Content-Type", "application/x-www-form-urlencoded"},
                                          {"Cookie", cookie.substr(0, cookie.find(';'))}});
  }

  // Signs in with a token of `scope`; returns the Cookie header to send.
  std::string sign_in(const std::string& scope = "admin") {
    auto response = post_sign_in(standalone().token(scope));
    EXPECT_EQ(response.status, 303) << response.body;
    auto cookie = response.header("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }

  HttpResponse page(std::string_view target, const std::string& cookie) {
    return standalone().client().request(verb::get, target, {}, {{"Cookie", cookie}});
  }

  HttpResponse post_form(std::string_view target, const std::string& body,
                         const std::string& cookie) {
    return standalone().client().request(
        verb::post, target, body,
        {{"Cookie", cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  }

  // The CSRF token the page's forms carry.
  static std::string csrf_of(const std::string& html) {
    std::smatch match;
    static const std::regex csrf(R"re(name="csrf" value="([0-9a-f]+)")re");
    return std::regex_search(html, match, csrf) ? match[1].str() : std::string();
  }

  // Where a 303 from starting a run points: the run id.
  static std::int64_t run_id_of(const HttpResponse& response) {
    auto location = response.header("Location");
    return std::stoll(location.substr(location.rfind('/') + 1));
  }
};

TEST_F(UiPagesTest, SignInKeepsTheTokenInAnHttpOnlySameSiteStrictCookie) {
  auto anonymous = standalone().client().request(verb::get, "/ui/jobs");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.header("Location"), "/ui/signin?next=%2Fui%2Fjobs");

  auto form = standalone().client().request(verb::get, "/ui/signin");
  EXPECT_EQ(form.status, 200);
  EXPECT_TRUE(holds_text(form.body, "<textarea id=\"token\""));

  auto refused = post_sign_in("not-a-token");
  EXPECT_EQ(refused.status, 401);
  EXPECT_FALSE(refused.has_header("Set-Cookie"));

  auto accepted = post_sign_in(standalone().token("read"), "&next=%2Fui%2Fagents");
  EXPECT_EQ(accepted.status, 303) << accepted.body;
  EXPECT_EQ(accepted.header("Location"), "/ui/agents");
  auto cookie = accepted.header("Set-Cookie");
  EXPECT_TRUE(holds_text(cookie, "; HttpOnly"));
  EXPECT_TRUE(holds_text(cookie, "; SameSite=Strict"));
  EXPECT_TRUE(holds_text(cookie, "; Path=/ui"));
  EXPECT_TRUE(lacks_text(cookie, "Secure")); // plain HTTP here

  // Another site's address is never where signing in leads.
  auto elsewhere = post_sign_in(standalone().token("read"), "&next=%2F%2Fevil.example");
  EXPECT_EQ(elsewhere.header("Location"), "/ui/jobs");

  // A sign-in form posted from elsewhere (no matching cicd_signin cookie) is refused.
  auto forged = standalone().client().request(
      verb::post, "/ui/signin", "csrf=abc&token=" + standalone().token("read"),
      {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_FALSE(forged.has_header("Set-Cookie"));

  auto session = cookie.substr(0, cookie.find(';'));
  auto agents = page("/ui/agents", session);
  EXPECT_EQ(agents.status, 200);
  EXPECT_TRUE(holds_text(agents.body, standalone().agent_id()));

  auto signed_out = post_form("/ui/signout", "csrf=" + csrf_of(agents.body), session);
  EXPECT_EQ(signed_out.status, 303);
  EXPECT_TRUE(holds_text(signed_out.header("Set-Cookie"), "Max-Age=0"));
}

TEST_F(UiPagesTest, FormsWithoutTheSessionsCsrfTokenChangeNothing) {
  put_job("quiet", freestyle_job("echo hi"));
  auto cookie = sign_in();
  auto without = post_form("/ui/jobs/quiet/runs", "branch=main", cookie);
  EXPECT_EQ(without.status, 403);
  auto forged = post_form("/ui/jobs/quiet/runs", "branch=main&csrf=0123456789abcdef", cookie);
  EXPECT_EQ(forged.status, 403);
  auto runs = call(verb::get, "/jobs/quiet/runs");
  EXPECT_TRUE(holds_text(runs.body, R"("items":[])"));
}

TEST_F(UiPagesTest, AMissingRunOrPageGetsTheNotFoundPage) {
  put_job("there", freestyle_job("echo hi"));
  auto cookie = sign_in();
  auto run = page("/ui/jobs/there/runs/999", cookie);
  EXPECT_EQ(run.status, 404);
  EXPECT_TRUE(holds_text(run.body, "<h1>Not found</h1>"));
  auto job = page("/ui/jobs/nowhere", cookie);
  EXPECT_EQ(job.status, 404);
  auto other = page("/ui/no/such/page", cookie);
  EXPECT_EQ(other.status, 404);
  EXPECT_TRUE(holds_text(other.body, "There is no page at this address."));
}

TEST_F(UiPagesTest, TheRunFormStartsARunWithTypedParametersAndTheRunPageShowsIt) {
  put_job("params",
          freestyle_job(R"(echo "greeting=$GREETING verbose=$VERBOSE shards=$SHARDS target=$TARGET"
mkdir -p out && echo payload > out/file.txt)",
                        R"("results": {"file": {"path": "out/file.txt", "type": "file"}},
      "parameters": {
        "TARGET": {"type": "choice", "choices": ["debug", "release"], "default": "debug"},
        "VERBOSE": {"type": "bool", "default": false},
        "SHARDS": {"type": "integer", "default": 4},
        "GREETING": {"type": "string", "required": true}})"));
  auto cookie = sign_in();
  auto job = page("/ui/jobs/params", cookie);
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_TRUE(holds_text(job.body, R"(<select id="p-TARGET" name="p.TARGET">)"));
  EXPECT_TRUE(holds_text(job.body, R"(<input type="checkbox" id="p-VERBOSE")"));
  EXPECT_TRUE(
      holds_text(job.body, R"(<input type="number" id="p-SHARDS" name="p.SHARDS" value="4")"));
  auto csrf = csrf_of(job.body);
  ASSERT_FALSE(csrf.empty());

  auto started = post_form("/ui/jobs/params/runs",
                           "csrf=" + csrf +
                               "&branch=main&p.TARGET=release&p.VERBOSE=true&"
                               "p.SHARDS=7&p.GREETING=hello+there",
                           cookie);
  ASSERT_EQ(started.status, 303) << started.body;
  auto id = run_id_of(started);
  EXPECT_EQ(started.header("Location"), "/ui/jobs/params/runs/" + std::to_string(id));
  auto run = wait_for_end("params", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_TRUE(holds_text(run.body, R"("parameters":{)"));
  EXPECT_TRUE(holds_text(run.body, R"("SHARDS":7)"));
  EXPECT_TRUE(holds_text(run.body, R"("VERBOSE":true)"));
  EXPECT_TRUE(holds_text(console("params", id),
                         "greeting=hello there verbose=true shards=7 target=release"));

  auto shown = page("/ui/jobs/params/runs/" + std::to_string(id), cookie);
  ASSERT_EQ(shown.status, 200);
  EXPECT_TRUE(holds_text(
      shown.body, R"(<span id="run-status" class="status status-succeeded">succeeded</span>)"));
  EXPECT_TRUE(holds_text(shown.body, "greeting=hello there verbose=true"));
  EXPECT_TRUE(holds_text(shown.body, standalone().agent_id()));

  auto download = page("/ui/jobs/params/runs/" + std::to_string(id) + "/results/file", cookie);
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body, "payload\n");
  EXPECT_EQ(download.header("Content-Disposition"), "attachment; filename=\"file\"");

  // A required parameter left empty: the API's reason, on the job page, and no run.
  auto refused = post_form("/ui/jobs/params/runs", "csrf=" + csrf + "&branch=main", cookie);
  EXPECT_EQ(refused.status, 400);
  EXPECT_TRUE(holds_text(refused.body, "GREETING"));

  auto jobs = page("/ui/jobs?q=par", cookie);
  EXPECT_TRUE(holds_text(jobs.body, ">params</a>"));
  EXPECT_TRUE(holds_text(jobs.body, "status-succeeded"));
  auto filtered = page("/ui/jobs?q=zzz", cookie);
  EXPECT_TRUE(lacks_text(filtered.body, ">params</a>"));
}

TEST_F(UiPagesTest, WhatJobsRunsAndConsolesSayIsShownAsText) {
  put_job("xss", freestyle_job(R"(echo "<script>alert('console')</script>")",
                               R"("description": "<script>alert('description')</script>",
      "parameters": {"NOTE": {"type": "string", "default": "\"><img src=x onerror=alert(1)>"}})"));
  auto cookie = sign_in();
  auto job = page("/ui/jobs/xss", cookie);
  EXPECT_TRUE(lacks_text(job.body, "<script>alert"));
  EXPECT_TRUE(lacks_text(job.body, "<img src=x"));
  EXPECT_TRUE(
      holds_text(job.body, "&lt;script&gt;alert(&#39;description&#39;)&lt;&#x2F;script&gt;") ||
      holds_text(job.body, "&lt;script&gt;alert"));
  auto jobs = page("/ui/jobs", cookie);
  EXPECT_TRUE(lacks_text(jobs.body, "<script>alert"));

  auto id = trigger("xss", R"({"branchName": "main", "parameters": {"NOTE": "<b>bold</b>"}})");
  wait_for_end("xss", id);
  auto run = page("/ui/jobs/xss/runs/" + std::to_string(id), cookie);
  EXPECT_TRUE(lacks_text(run.body, "<script>alert"));
  EXPECT_TRUE(lacks_text(run.body, "<b>bold</b>"));
  EXPECT_TRUE(holds_text(run.body, "&lt;b&gt;bold&lt;"));
  EXPECT_EQ(run.header("Content-Security-Policy").find("script-src 'self'") != std::string::npos,
            true);
}

TEST_F(UiPagesTest, TheAbortButtonAbortsARunningRun) {
  put_job("long", freestyle_job("echo started; sleep 60"));
  auto cookie = sign_in("trigger");
  auto id = trigger("long", R"({"branchName": "main"})");
  wait_for_console("long", id, "started");
  auto path = "/ui/jobs/long/runs/" + std::to_string(id);
  auto shown = page(path, cookie);
  EXPECT_TRUE(holds_text(shown.body, R"(<button type="submit" id="abort">Abort</button>)"));
  auto aborted = post_form(path + "/abort", "csrf=" + csrf_of(shown.body), cookie);
  EXPECT_EQ(aborted.status, 303);
  EXPECT_EQ(aborted.header("Location"), path);
  auto run = wait_for_end("long", id);
  EXPECT_EQ(run.status, "aborted");
  auto after = page(path, cookie);
  EXPECT_TRUE(holds_text(after.body, "status-aborted"));
  EXPECT_TRUE(lacks_text(after.body, "id=\"abort\""));
}

TEST_F(UiPagesTest, TheLiveConsoleRelaysTheMastersEventStream) {
  put_job("ticker", freestyle_job("for i in 1 2 3; do echo tick $i; sleep 1; done"));
  auto cookie = sign_in("read");
  auto id = trigger("ticker", R"({"branchName": "main"})");
  std::string seen;
  auto streamed = stream_get(
      standalone().port(), "/ui/jobs/ticker/runs/" + std::to_string(id) + "/console/events",
      {{"Cookie", cookie}},
      [&seen](std::string_view piece) {
        seen.append(piece);
        return true;
      },
      std::chrono::seconds(60));
  EXPECT_EQ(streamed.status, 200);
  EXPECT_TRUE(streamed.complete);
  EXPECT_TRUE(holds_text(seen, "data: tick 1\n"));
  EXPECT_TRUE(holds_text(seen, "data: tick 3\n"));
  EXPECT_TRUE(holds_text(seen, "event: end\ndata: {\"status\":\"succeeded\"}"));
  wait_for_end("ticker", id);

  // Resuming at an offset (as a reconnecting EventSource does) skips what was seen.
  std::smatch first_id;
  static const std::regex id_line(R"(id: (\d+)\n)");
  ASSERT_TRUE(std::regex_search(seen, first_id, id_line)) << seen;
  std::string resumed;
  stream_get(
      standalone().port(), "/ui/jobs/ticker/runs/" + std::to_string(id) + "/console/events",
      {{"Cookie", cookie}, {"Last-Event-ID", first_id[1].str()}},
      [&resumed](std::string_view piece) {
        resumed.append(piece);
        return true;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(lacks_text(resumed, "data: " + seen.substr(seen.find("data: ") + 6, 6)));
  EXPECT_TRUE(holds_text(resumed, "tick 3"));
}

TEST_F(UiPagesTest, CicdUiServesThePagesFromAProcessOfItsOwn) {
  put_job("elsewhere", freestyle_job("echo hi"));
  std::uint16_t port = 0;
  auto ui =
      start_serving({"ui", "--server", "http://127.0.0.1:" + std::to_string(standalone().port())},
                    std::filesystem::path(standalone().data_dir()) / "ui.log", port);
  HttpClient client("127.0.0.1", port);
  auto anonymous = client.request(verb::get, "/jobs");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.header("Location"), "/signin?next=%2Fjobs");
  auto form = client.request(verb::get, "/signin");
  auto signin_cookie = form.header("Set-Cookie");
  EXPECT_TRUE(holds_text(signin_cookie, "; Path=/signin;"));
  auto signed_in = client.request(
      verb::post, "/signin", "csrf=" + csrf_of(form.body) + "&token=" + standalone().token("read"),
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"Cookie", signin_cookie.substr(0, signin_cookie.find(';'))}});
  ASSERT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_EQ(signed_in.header("Location"), "/jobs");
  auto cookie = signed_in.header("Set-Cookie");
  EXPECT_TRUE(holds_text(cookie, "; Path=/;"));
  auto jobs =
      client.request(verb::get, "/jobs", {}, {{"Cookie", cookie.substr(0, cookie.find(';'))}});
  EXPECT_EQ(jobs.status, 200);
  EXPECT_TRUE(holds_text(jobs.body, R"(<a class="job-name" href="/jobs/elsewhere">elsewhere</a>)"));
  EXPECT_TRUE(holds_text(jobs.body, R"(<link rel="stylesheet" href="/static/ui.css">)"));
  EXPECT_EQ(ui->stop(), 0) << ui->log();
}

TEST_F(UiPagesTest, TheRunPageShowsTheJunitCounts) {
  put_job("tested", freestyle_job(R"(mkdir -p reports
echo '<testsuite name="t"><testcase name="ok"/><testcase classname="t" name="bad"><failure/></testcase><testcase name="off"><skipped/></testcase></testsuite>' > reports/unit.xml)",
                                  R"("results": {"junit": {"path": "reports", "type": "junit"}})"));
  auto cookie = sign_in("read");
  auto id = trigger("tested", R"({"branchName": "main"})");
  wait_for_end("tested", id);
  auto run = page("/ui/jobs/tested/runs/" + std::to_string(id), cookie);
  EXPECT_TRUE(holds_text(run.body, "3 tests: 1 passed, 1 failed, 0 errors, 1 skipped"));
  EXPECT_TRUE(holds_text(run.body, R"(<p class="junit status-failed">)"));
  EXPECT_TRUE(
      holds_text(run.body, R"(<ul class="failing-tests"><li><code>t.bad</code></li></ul>)"));
  EXPECT_TRUE(holds_text(run.body, R"(href="/ui/jobs/tested/runs/)" + std::to_string(id) +
                                       R"(/results/junit" download>junit</a>)"));
}

TEST_F(UiPagesTest, TheDrainButtonDrainsAnAgent) {
  auto cookie = sign_in("admin");
  auto agents = page("/ui/agents", cookie);
  auto drain = "/ui/agents/" + standalone().agent_id() + "/drain";
  EXPECT_TRUE(holds_text(agents.body, R"(<form method="post" action=")" + drain + "\">"));
  auto drained = post_form(drain, "csrf=" + csrf_of(agents.body), cookie);
  EXPECT_EQ(drained.status, 303) << drained.body;
  EXPECT_EQ(drained.header("Location"), "/ui/agents");
  auto after = page("/ui/agents", cookie);
  EXPECT_TRUE(holds_text(after.body, ">draining</span>"));
}

TEST_F(UiPagesTest, TheJobsPageGoesOnPageByPage) {
  for (int n = 1; n <= 55; ++n) {
    put_job(fmt::format("many-{:02}", n), freestyle_job("true"));
  }
  auto cookie = sign_in("read");
  auto first = page("/ui/jobs", cookie);
  EXPECT_TRUE(holds_text(first.body, ">many-50</a>"));
  EXPECT_TRUE(lacks_text(first.body, ">many-51</a>"));
  EXPECT_TRUE(holds_text(first.body, R"(<a href="/ui/jobs?after=many-50" rel="next">)"));
  auto second = page("/ui/jobs?after=many-50", cookie);
  EXPECT_TRUE(holds_text(second.body, ">many-55</a>"));
  EXPECT_TRUE(lacks_text(second.body, ">many-50</a>"));
  EXPECT_TRUE(lacks_text(second.body, "rel=\"next\""));
}

} // namespace
} // namespace cicd::test

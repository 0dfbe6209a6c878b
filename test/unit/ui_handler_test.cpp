// The ui's handler without a master: what it answers before it needs the API (sign-in form,
// redirects, the CSRF check, static files), and the helpers that make pages.
#include "ui/ui.hpp"

#include "ui/page_context.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

namespace cicd::ui {
namespace {
using boost::beast::http::field;

http::Response answer(const Ui& ui, http::Verb method, const std::string& target,
                      const std::string& cookie = {}, const std::string& body = {}) {
  http::Request request{method, target, 11};
  if (!cookie.empty()) {
    request.set(field::cookie, cookie);
  }
  request.body() = body;
  request.prepare_payload();
  auto reply = ui.handle(std::move(request));
  EXPECT_FALSE(reply.next_chunk);
  return reply.response;
}

// Nothing listens on port 1: every API call fails at once.
Ui make_ui() {
  return Ui(UiOptions{"http://127.0.0.1:1", "/ui", false});
}

TEST(UiHandler, SendsPeopleWhoAreNotSignedInToTheSignInForm) {
  auto ui = make_ui();
  auto jobs = answer(ui, http::Verb::get, "/ui/jobs?q=a");
  EXPECT_EQ(jobs.result(), http::Status::see_other);
  EXPECT_EQ(jobs[field::location], "/ui/signin?next=%2Fui%2Fjobs%3Fq%3Da");
  auto root = answer(ui, http::Verb::get, "/ui");
  EXPECT_EQ(root[field::location], "/ui/jobs");
  auto form = answer(ui, http::Verb::get, "/ui/signin?next=%2Fui%2Fagents");
  EXPECT_EQ(form.result(), http::Status::ok);
  EXPECT_NE(form.body().find(R"(<input type="hidden" name="next" value="/ui/agents">)"),
            std::string::npos);
  EXPECT_EQ(form[field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(std::string(form["Content-Security-Policy"]).find("script-src 'self'"),
            std::string::npos);
}

TEST(UiHandler, RefusesAFormWithoutTheSessionsCsrfToken) {
  auto ui = make_ui();
  auto refused = answer(ui, http::Verb::post, "/ui/jobs/a/runs", "cicd_session=abc.def.ghi",
                        "branch=main&csrf=wrong");
  EXPECT_EQ(refused.result(), http::Status::forbidden);
  auto signout = answer(ui, http::Verb::post, "/ui/signout", "cicd_session=abc.def.ghi", "");
  EXPECT_EQ(signout.result(), http::Status::forbidden);
}

TEST(UiHandler, AnUnreachableApiRefusesTheSignIn) {
  auto ui = make_ui();
  auto form = answer(ui, http::Verb::get, "/ui/signin");
  std::string cookie(form[field::set_cookie]);
  EXPECT_NE(cookie.find("; Path=/ui/signin; HttpOnly; SameSite=Strict"), std::string::npos);
  auto nonce = cookie.substr(cookie.find('=') + 1, 40);
  EXPECT_NE(form.body().find(R"(name="csrf" value=")" + nonce + "\""), std::string::npos);
  auto refused = answer(ui, http::Verb::post, "/ui/signin", "cicd_signin=" + nonce,
                        "csrf=" + nonce + "&token=abc.def.ghi");
  EXPECT_EQ(refused.result(), http::Status::bad_gateway);
  EXPECT_TRUE(refused[field::set_cookie].empty());
  auto not_a_token = answer(ui, http::Verb::post, "/ui/signin", "cicd_signin=" + nonce,
                            "csrf=" + nonce + "&token=a%3Bb");
  EXPECT_EQ(not_a_token.result(), http::Status::bad_request);
  auto forged = answer(ui, http::Verb::post, "/ui/signin", {}, "csrf=x&token=abc.def.ghi");
  EXPECT_EQ(forged.result(), http::Status::forbidden);
}

TEST(UiHandler, ServesItsStylesheetAndScript) {
  auto ui = make_ui();
  auto css = answer(ui, http::Verb::get, "/ui/static/ui.css");
  EXPECT_EQ(css.result(), http::Status::ok);
  EXPECT_EQ(css[field::content_type], "text/css; charset=utf-8");
  auto js = answer(ui, http::Verb::get, "/ui/static/console.js");
  EXPECT_NE(js.body().find("EventSource"), std::string::npos);
  EXPECT_EQ(answer(ui, http::Verb::get, "/elsewhere").result(), http::Status::not_found);
}

TEST(UiPageHelpers, DecodeFormsAndEscapeTemplates) {
  auto form = parse_form("a=1+2&b=%3Cx%3E&c&a=3");
  EXPECT_EQ(form_value(form, "a"), "1 2");
  EXPECT_EQ(form_value(form, "b"), "<x>");
  EXPECT_EQ(form_value(form, "c"), "");
  EXPECT_EQ(form.count("a"), 2u);
  EXPECT_EQ(url_segment("a b/<"), "a%20b%2F%3C");
  Data data;
  data.set("what", "<script>alert('x')</script>");
  auto html = render_template("not_found", data);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&apos;x&apos;)"), std::string::npos);
}

TEST(UiPageHelpers, SayTimesSizesAndStatusesInWords) {
  EXPECT_EQ(duration_between("2026-11-26T23:42:11.842Z", "2026-11-26T23:43:23.001Z"), "1m 12s");
  EXPECT_EQ(duration_between("", "2026-11-26T23:43:23Z"), "");
  EXPECT_EQ(relative_time("2020-01-01T00:00:00Z").ends_with(" ago"), true);
  EXPECT_EQ(human_size(512), "512 B");
  EXPECT_EQ(human_size(18342), "17.9 KiB");
  Data view;
  view.set("status", status_data("timed_out"));
  kainjow::mustache::mustache words{std::string("{{status.words}}|{{status.class}}")};
  EXPECT_EQ(words.render(view), "timed out|status-timed_out");
}

TEST(UiPageHelpers, SayWhatTriggeredARunIncludingPullRequests) {
  auto trigger_of = [](const char* json) {
    rapidjson::Document run;
    run.Parse(json);
    Data view;
    view.set("run", run_summary(run, "/ui"));
    return kainjow::mustache::mustache{std::string("{{run.trigger}}")}.render(view);
  };
  EXPECT_EQ(trigger_of(R"({"id": 1, "job": "unit", "status": "queued", "trigger": {"kind": "api",
              "branchName": "main", "by": "alice"}})"),
            "api · branch main · by alice");
  EXPECT_EQ(
      trigger_of(R"({"id": 2, "job": "unit", "status": "running", "trigger": {
              "kind": "github", "commitSha": "0123456789abcdef0123456789abcdef01234567",
              "hook": {"forge": "github", "repository": "octo/app", "event": "pull_request",
                       "pullRequest": 12, "headBranch": "fix", "baseBranch": "main",
                       "sender": "octocat"}}})"),
      "github · pull request #12 (fix → main) of octo/app · commit 0123456789ab · by octocat");
  EXPECT_EQ(trigger_of(R"({"id": 3, "job": "unit", "status": "running", "trigger": {
              "kind": "gitlab", "hook": {"forge": "gitlab", "repository": "group/app",
              "event": "push", "headBranch": "main"}}})"),
            "gitlab · push to main of group/app");
}

} // namespace
} // namespace cicd::ui

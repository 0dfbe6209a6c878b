#include "cicd/model/forge_trigger.hpp"

#include "cicd/hooks/forge_event.hpp"
#include "cicd/model/job.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

namespace cicd::model {
namespace {

TEST(BranchPattern, StarMatchesAnyRun) {
  EXPECT_TRUE(branch_matches("main", "main"));
  EXPECT_FALSE(branch_matches("main", "main2"));
  EXPECT_TRUE(branch_matches("release/*", "release/1.0"));
  EXPECT_TRUE(branch_matches("release/*", "release/a/b"));
  EXPECT_FALSE(branch_matches("release/*", "releases/1"));
  EXPECT_TRUE(branch_matches("*", "anything/at/all"));
  EXPECT_TRUE(branch_matches("*-hotfix-*", "v1-hotfix-2"));
  EXPECT_FALSE(branch_matches("*-hotfix-*", "v1-hotfix"));
  EXPECT_TRUE(branch_matches("a*b*c", "aXXbYYc"));
  // Many stars against a long name that almost matches: no exponential backtracking.
  EXPECT_FALSE(branch_matches("*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}

TEST(JobTriggers, DefaultsAreSpelledOutAndRoundTrip) {
  auto job = parse_job_definition(
      R"({"type":"freestyle","image":"busybox","script":"true",)"
      R"("triggers":{"github":{"connection":"acme","repository":"o/r"},)"
      R"("gitlab":{"connection":"lab","repository":"g/s/p","push":{"branches":["main"]},)"
      R"("allowForks":true}}})");
  ASSERT_OK(job);
  ASSERT_TRUE(job->triggers.github);
  EXPECT_EQ(job->triggers.github->pull_request_actions,
            (std::vector<std::string>{"opened", "synchronize", "reopened"}));
  EXPECT_FALSE(job->triggers.github->allow_forks);
  EXPECT_EQ(job->triggers.gitlab->pull_request_actions,
            (std::vector<std::string>{"open", "update", "reopen"}));
  EXPECT_TRUE(job->triggers.gitlab->allow_forks);
  auto again = parse_job_definition(to_canonical_json(*job));
  ASSERT_OK(again);
  EXPECT_EQ(*again, *job);
}

TEST(JobTriggers, AJobWithoutTriggersKeepsItsCanonicalForm) {
  auto job = parse_job_definition(R"({"type":"freestyle","image":"busybox","script":"true"})");
  ASSERT_OK(job);
  EXPECT_EQ(to_canonical_json(*job).find("triggers"), std::string::npos);
}

TEST(JobTriggers, BadTriggersNameTheField) {
  auto parse = [](std::string_view triggers) {
    return parse_job_definition(
        std::string(R"({"type":"freestyle","image":"busybox","script":"true","triggers":)") +
        std::string(triggers) + "}");
  };
  EXPECT_ERROR_FIELD(parse(R"({"github":{"connection":"acme"}})"), ErrorCode::invalid_input,
                     "triggers.github.repository");
  EXPECT_ERROR_FIELD(parse(R"({"github":{"connection":"Bad Name","repository":"o/r"}})"),
                     ErrorCode::invalid_input, "triggers.github.connection");
  EXPECT_ERROR_FIELD(parse(R"({"github":{"connection":"a","repository":"noslash"}})"),
                     ErrorCode::invalid_input, "triggers.github.repository");
  EXPECT_ERROR_FIELD(
      parse(
          R"({"github":{"connection":"a","repository":"o/r","pullRequest":{"actions":["Op en"]}}})"),
      ErrorCode::invalid_input, "triggers.github.pullRequest.actions[0]");
  EXPECT_ERROR_FIELD(parse(R"({"github":{"connection":"a","repository":"o/r","allowForks":1}})"),
                     ErrorCode::invalid_input, "triggers.github.allowForks");
  EXPECT_ERROR_FIELD(parse(R"({"github":{"connection":"a","repository":"o/r","pr":{}}})"),
                     ErrorCode::invalid_input, "triggers.github.pr");
}

TEST(ForgeEvents, GitlabMergeRequestAndPush) {
  // The shape of GitLab's documented examples ("Webhook events"), cut to what cicd reads.
  auto merge_request = hooks::parse_gitlab_event(
      "Merge Request Hook",
      R"({"object_kind":"merge_request","user":{"username":"root"},)"
      R"("project":{"id":1,"path_with_namespace":"gitlabhq/gitlab-test"},)"
      R"("object_attributes":{"iid":1,"action":"open","source_branch":"ms-viewport",)"
      R"("target_branch":"master","source_project_id":14,"target_project_id":1,)"
      R"("last_commit":{"id":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}}})");
  ASSERT_OK(merge_request);
  EXPECT_EQ(merge_request->kind, hooks::ForgeEvent::Kind::pull_request);
  EXPECT_EQ(merge_request->repository, "gitlabhq/gitlab-test");
  EXPECT_EQ(merge_request->project_id, "1");
  EXPECT_TRUE(merge_request->from_fork);
  EXPECT_EQ(merge_request->number, 1);
  EXPECT_EQ(merge_request->head_branch, "ms-viewport");
  EXPECT_EQ(merge_request->sender, "root");

  auto push = hooks::parse_gitlab_event(
      "Push Hook", R"({"object_kind":"push","ref":"refs/heads/master","user_username":"jsmith",)"
                   R"("after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","project_id":15,)"
                   R"("project":{"id":15,"path_with_namespace":"mike/diaspora"}})");
  ASSERT_OK(push);
  EXPECT_EQ(push->head_branch, "master");
  ForgeTrigger trigger{"lab", "Mike/Diaspora", {}, {"mas*"}, false};
  EXPECT_EQ(hooks::unwatched_reason(trigger, *push), "");
  trigger.push_branches = {"main"};
  EXPECT_EQ(hooks::unwatched_reason(trigger, *push), "pushes to branch 'master' are not watched");

  EXPECT_ERROR_FIELD(hooks::parse_gitlab_event("Push Hook", R"({"ref":"refs/heads/x"})"),
                     ErrorCode::invalid_input, "project.path_with_namespace");
}

} // namespace
} // namespace cicd::model

// The image cache shared across agents through a registry (issue "Git repo jobs"): an agent
// that built a repository's Dockerfile pushes the image under its content hash, and another
// agent that needs the same hash pulls it instead of building it again.
#include "fleet_fixture.hpp"

#include "support/git_repos.hpp"

#include <fmt/format.h>

#include <regex>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;

TEST_F(FleetTest, ASecondAgentPullsTheImageTheFirstBuiltInsteadOfBuildingIt) {
  if (!m_fleet || !have_tool("git", "git")) {
    return;
  }
  auto registry = test_registry();
  if (registry.empty()) {
    return;
  }
  TempDir dir("cicd-image-cache");
  TestGitRepo repo(dir.path());
  // A Dockerfile of this test alone, so that neither the engine nor the registry has it yet.
  auto marker = dir.path().filename().string();
  repo.commit("main", {{".cicd.yml", "image:\n  dockerfile: Dockerfile\nscript: cat /marker\n"},
                       {"Dockerfile",
                        fmt::format("FROM {}\nRUN echo {} > /marker\n", k_busybox_image, marker)}});
  fleet().add_master();
  FleetAgentOptions options;
  options.registry = registry;
  fleet().add_agent(options);
  auto console = [this](std::int64_t id) {
    auto response = call(0, Verb::get, run_path("cached", id) + "/results/console", {}, "read");
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  };
  auto put = call(0, Verb::put, "/jobs/cached",
                  fmt::format(R"({{"type":"git","repoUrl":"{}"}})", repo.file_url()));
  ASSERT_EQ(put.status, 201) << put.body;
  auto trigger_main = [this] {
    auto created = call(0, Verb::post, "/jobs/cached/runs", R"({"branchName":"main"})", "trigger");
    EXPECT_EQ(created.status, 201) << created.body;
    return created.status == 201 ? parse_json(created.body)["id"].GetInt64() : -1;
  };

  auto first = trigger_main();
  auto run = wait_for_end("cached", first, 180s);
  auto built = console(first);
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << built;
  std::smatch hash;
  ASSERT_TRUE(std::regex_search(built, hash, std::regex("building cicd-image:([0-9a-f]{64})")))
      << built;
  EXPECT_TRUE(built.find("pushed " + registry + "/cicd-image:" + hash[1].str()) !=
              std::string::npos)
      << built;

  // The first agent goes away, and so does every local copy of the image: the next agent
  // stands for another machine (the tests share one Docker engine).
  EXPECT_EQ(fleet().agent(0).process().stop(), 0);
  auto local = "cicd-image:" + hash[1].str();
  auto tags = {local, registry + "/" + local};
  for (const auto& tag : tags) {
    auto removed = docker().remove_image(tag);
    EXPECT_TRUE(removed || removed.error().code == ErrorCode::not_found);
  }
  ASSERT_EQ(docker().image_exists(local).value(), false);

  fleet().add_agent(options);
  auto second = trigger_main();
  auto run_again = wait_for_end("cached", second, 180s);
  auto pulled = console(second);
  EXPECT_EQ(run_again.status, "succeeded") << run_again.body << "\n" << pulled;
  EXPECT_NE(run_again.agent, run.agent);
  EXPECT_TRUE(pulled.find("pulled " + registry + "/" + local) != std::string::npos) << pulled;
  EXPECT_EQ(pulled.find("building cicd-image"), std::string::npos) << pulled;
  EXPECT_TRUE(pulled.find(marker + "\n") != std::string::npos) << pulled;
}

} // namespace
} // namespace cicd::test

#include "cicd/docker/client.hpp"

#include "support/cicd_process.hpp"
#include "support/docker_images.hpp"
#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

namespace cicd::docker {
namespace {

using namespace std::chrono_literals;
using test::TarEntry;

constexpr auto k_wait = std::chrono::seconds(60);
constexpr std::string_view k_absent_image = "cicd-test/absent:never";

struct Output {
  std::string out;
  std::string err;
  std::vector<std::pair<OutputStream, std::string>> pieces; // adjacent ones of a stream joined
};

// The peak resident set size of this process since the last reset, in bytes.
std::int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stoll(line.substr(6)) * 1024;
    }
  }
  return -1;
}

bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.close();
  return clear_refs.good();
}

class DockerClientTest : public ::testing::Test {
protected:
  void SetUp() override {
    test::require_docker_engine(m_client);
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    m_image = test::ensure_busybox_image(m_client);
    if (HasFatalFailure()) {
      return;
    }
    static std::atomic<int> counter{0};
    m_label_value = "docker-client-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    m_ready = true;
  }

  // Everything a test made carries the label cicd.test=<m_label_value>; images are listed.
  void TearDown() override {
    if (!m_ready) {
      return;
    }
    if (auto containers = m_client.containers_with_label(label())) {
      for (const auto& id : *containers) {
        EXPECT_OK(m_client.remove_container(id, true));
      }
    }
    if (auto networks = m_client.networks_with_label(label())) {
      for (const auto& id : *networks) {
        EXPECT_OK(m_client.remove_network(id));
      }
    }
    for (const auto& image : m_images) {
      auto removed = m_client.remove_image(image);
      EXPECT_TRUE(removed || removed.error().code == ErrorCode::not_found)
          << removed.error().message;
    }
    EXPECT_EQ(m_client.containers_with_label(label()).value(), std::vector<std::string>{});
    EXPECT_EQ(m_client.networks_with_label(label()).value(), std::vector<std::string>{});
  }

  std::string label() const { return "cicd.test=" + m_label_value; }

  ContainerSpec spec(std::vector<std::string> cmd) const {
    ContainerSpec spec;
    spec.image = m_image;
    spec.cmd = std::move(cmd);
    spec.labels = {{"cicd.test", m_label_value}};
    return spec;
  }

  static ContainerSpec shell(ContainerSpec spec, const std::string& script) {
    spec.cmd = {"sh", "-c", script};
    return spec;
  }

  std::string create(const ContainerSpec& spec) {
    auto id = m_client.create_container(spec);
    EXPECT_OK(id);
    return id ? *id : std::string();
  }

  Output follow(const std::string& id) {
    Output output;
    auto followed =
        m_client.follow_logs(id, [&output](OutputStream stream, std::string_view bytes) {
          (stream == OutputStream::stdout_stream ? output.out : output.err).append(bytes);
          if (!output.pieces.empty() && output.pieces.back().first == stream) {
            output.pieces.back().second.append(bytes);
          } else {
            output.pieces.emplace_back(stream, std::string(bytes));
          }
          return true;
        });
    EXPECT_OK(followed);
    return output;
  }

  // Creates, starts, follows to the end and waits: the exit code and the output.
  std::pair<std::int64_t, Output> run(const ContainerSpec& spec) {
    auto id = create(spec);
    if (id.empty()) {
      return {-1, {}};
    }
    EXPECT_OK(m_client.start_container(id));
    auto output = follow(id);
    auto code = m_client.wait_container(id, k_wait);
    EXPECT_OK(code);
    return {code ? *code : -1, std::move(output)};
  }

  std::string new_network() {
    auto network = "cicd-test-" + m_label_value;
    auto id = m_client.create_network(network, {{"cicd.test", m_label_value}});
    EXPECT_OK(id);
    return network;
  }

  Client m_client = Client::from_environment();
  std::string m_image;
  std::string m_label_value;
  std::vector<std::string> m_images;
  bool m_ready = false;
};

TEST_F(DockerClientTest, ReportsApiVersion141OrLater) {
  auto version = m_client.api_version();
  ASSERT_OK(version);
  ASSERT_TRUE(version->starts_with("1.")) << *version;
  EXPECT_GE(std::stoi(version->substr(2)), 41) << *version;
}

TEST_F(DockerClientTest, TellsWhetherAnImageExists) {
  EXPECT_EQ(m_client.image_exists(std::string(k_absent_image)).value(), false);
  EXPECT_EQ(m_client.image_exists(m_image).value(), true);
}

TEST_F(DockerClientTest, RunsAContainerAndReportsBothStreamsInOrderAndTheExitCode) {
  // Docker copies stdout and stderr with one goroutine each, so writes to the two streams
  // less than a scheduling slice apart may reach the log in either order: space them out.
  auto [code, output] = run(shell(spec({}), "echo out; sleep 0.5; echo err >&2; exit 3"));
  EXPECT_EQ(code, 3);
  EXPECT_EQ(output.out, "out\n");
  EXPECT_EQ(output.err, "err\n");
  std::vector<std::pair<OutputStream, std::string>> expected{
      {OutputStream::stdout_stream, "out\n"}, {OutputStream::stderr_stream, "err\n"}};
  EXPECT_EQ(output.pieces, expected);
}

TEST_F(DockerClientTest, HonoursEnvWorkingDirAndUser) {
  auto container = shell(spec({}), R"(echo "$GREETING|$OTHER"; pwd; id -u; id -g)");
  container.env = {"GREETING=hello world", "OTHER=a=b"};
  container.working_dir = "/workspace";
  container.user = "1234:2345";
  auto [code, output] = run(container);
  EXPECT_EQ(code, 0) << output.err;
  EXPECT_EQ(output.out, "hello world|a=b\n/workspace\n1234\n2345\n");
}

TEST_F(DockerClientTest, OverridesTheEntrypointOnlyWhenSet) {
  auto container = spec({"one", "two"});
  container.entrypoint = std::vector<std::string>{"/bin/echo", "entry"};
  auto [code, output] = run(container);
  EXPECT_EQ(code, 0) << output.err;
  EXPECT_EQ(output.out, "entry one two\n");
}

TEST_F(DockerClientTest, FindsContainersByLabel) {
  auto container = spec({"true"});
  container.labels["cicd.run"] = m_label_value + "-a";
  auto id = create(container);
  auto other = spec({"true"});
  other.labels["cicd.run"] = m_label_value + "-b";
  auto other_id = create(other);
  ASSERT_FALSE(HasFailure());

  EXPECT_EQ(m_client.containers_with_label("cicd.run=" + m_label_value + "-a").value(),
            std::vector<std::string>{id});
  auto both = m_client.containers_with_label(label()).value();
  std::sort(both.begin(), both.end());
  std::vector<std::string> expected{id, other_id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(both, expected); // created, never started: all=1 finds them too
  EXPECT_TRUE(m_client.containers_with_label("cicd.run=nothing-" + m_label_value)->empty());
}

TEST_F(DockerClientTest, ReachesASidecarByItsAliasOnARunNetwork) {
  auto network = new_network();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(m_client.networks_with_label(label())->size(), 1u);

  auto sidecar = spec({"nc", "-l", "-p", "5432"});
  sidecar.network = network;
  sidecar.aliases = {"db"};
  auto sidecar_id = create(sidecar);
  ASSERT_OK(m_client.start_container(sidecar_id));
  auto state = m_client.inspect_container(sidecar_id);
  ASSERT_OK(state);
  EXPECT_TRUE(state->running);
  ASSERT_TRUE(state->ip_addresses.contains(network));
  EXPECT_FALSE(state->ip_addresses.at(network).empty());

  // The sidecar may not listen yet: retry for a while.
  auto client = shell(spec({}), "for i in $(seq 100); do echo hello db | nc db 5432 && exit 0; "
                                "sleep 0.1; done; exit 1");
  client.network = network;
  auto [code, output] = run(client);
  EXPECT_EQ(code, 0) << output.err;

  EXPECT_EQ(m_client.wait_container(sidecar_id, k_wait).value(), 0);
  EXPECT_EQ(follow(sidecar_id).out, "hello db\n");
}

TEST_F(DockerClientTest, KillsGracefullyOrForcefully) {
  // sh traps TERM and exits 143 on its own.
  auto graceful = create(shell(spec({}), "trap 'exit 143' TERM; while true; do sleep 0.1; done"));
  // PID 1 without a TERM handler ignores TERM: only KILL ends it.
  auto stubborn = create(spec({"sleep", "300"}));
  ASSERT_FALSE(HasFailure());
  ASSERT_OK(m_client.start_container(graceful));
  ASSERT_OK(m_client.start_container(stubborn));

  EXPECT_TRUE(m_client.inspect_container(stubborn)->running);
  // The trap is set once sh runs; before that, TERM would go unhandled. Wait for it.
  std::this_thread::sleep_for(500ms);
  ASSERT_OK(m_client.kill_container(graceful, "SIGTERM"));
  EXPECT_EQ(m_client.wait_container(graceful, k_wait).value(), 143);

  ASSERT_OK(m_client.kill_container(stubborn, "SIGTERM"));
  std::this_thread::sleep_for(500ms);
  auto still = m_client.inspect_container(stubborn);
  ASSERT_OK(still);
  EXPECT_TRUE(still->running);
  ASSERT_OK(m_client.kill_container(stubborn, "SIGKILL"));
  EXPECT_EQ(m_client.wait_container(stubborn, k_wait).value(), 137);

  auto after = m_client.inspect_container(stubborn);
  ASSERT_OK(after);
  EXPECT_FALSE(after->running);
  EXPECT_EQ(after->exit_code, 137);
  EXPECT_FALSE(after->oom_killed);
  EXPECT_EQ(after->health, "");
  // Killing a stopped container: conflict, which callers that clean up ignore.
  EXPECT_ERROR(m_client.kill_container(stubborn, "SIGKILL"), ErrorCode::conflict);
}

TEST_F(DockerClientTest, InspectsTheExitCodeOfAStoppedContainer) {
  auto [code, output] = run(shell(spec({}), "exit 7"));
  EXPECT_EQ(code, 7);
  auto ids = m_client.containers_with_label(label()).value();
  ASSERT_EQ(ids.size(), 1u);
  auto state = m_client.inspect_container(ids[0]);
  ASSERT_OK(state);
  EXPECT_FALSE(state->running);
  EXPECT_EQ(state->exit_code, 7);
}

TEST_F(DockerClientTest, WaitGivesUpAtItsDeadline) {
  auto id = create(spec({"sleep", "300"}));
  ASSERT_OK(m_client.start_container(id));
  auto started = std::chrono::steady_clock::now();
  EXPECT_ERROR(m_client.wait_container(id, 1s), ErrorCode::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST_F(DockerClientTest, PutsAnArchiveAndGetsAFileBack) {
  auto id = create(spec({"cat", "/workspace/src/hello.txt"}));
  ASSERT_FALSE(HasFailure());
  // Before start, as a run uploads its sources.
  auto tar = test::make_tar(
      {{"src", "", 0755, TarEntry::Type::directory, ""},
       {"src/hello.txt", "hello from the archive\n", 0644, TarEntry::Type::file, ""}});
  ASSERT_OK(m_client.put_archive(id, "/workspace", tar));

  std::string fetched;
  ASSERT_OK(
      m_client.get_archive(id, "/workspace/src/hello.txt", [&fetched](std::string_view chunk) {
        fetched.append(chunk);
        return true;
      }));
  auto files = test::read_archive_files(fetched);
  EXPECT_EQ(files, (std::map<std::string, std::string>{{"hello.txt", "hello from the archive\n"}}));

  ASSERT_OK(m_client.start_container(id));
  EXPECT_EQ(follow(id).out, "hello from the archive\n");
  EXPECT_EQ(m_client.wait_container(id, k_wait).value(), 0);

  // A directory comes back as a tar of the directory.
  fetched.clear();
  ASSERT_OK(m_client.get_archive(id, "/workspace/src", [&fetched](std::string_view chunk) {
    fetched.append(chunk);
    return true;
  }));
  EXPECT_EQ(test::read_archive_files(fetched),
            (std::map<std::string, std::string>{{"src/hello.txt", "hello from the archive\n"}}));
}

TEST_F(DockerClientTest, ArchivesOfMissingPathsAreNotFound) {
  auto id = create(spec({"true"}));
  ASSERT_FALSE(HasFailure());
  auto missing =
      m_client.get_archive(id, "/workspace/missing.xml", [](std::string_view) { return true; });
  ASSERT_ERROR(missing, ErrorCode::not_found);
  EXPECT_TRUE(missing.error().message.starts_with("Docker: ")) << missing.error().message;
  EXPECT_NE(missing.error().message.find("missing.xml"), std::string::npos)
      << missing.error().message;

  auto tar = test::make_tar({{"a.txt", "a", 0644, TarEntry::Type::file, ""}});
  EXPECT_ERROR(m_client.put_archive(id, "/no/such/dir", tar), ErrorCode::not_found);
  EXPECT_ERROR(m_client.get_archive("cicd-test-no-such-container", "/",
                                    [](std::string_view) { return true; }),
               ErrorCode::not_found);
}

// The build context, streamed in small pieces to exercise the chunked request body.
ChunkSource context_source(const std::string& tar) {
  auto offset = std::make_shared<std::size_t>(0);
  return [&tar, offset](char* buffer, std::size_t size) -> Result<std::size_t> {
    auto n = std::min({size, tar.size() - *offset, std::size_t{1000}});
    std::copy_n(tar.data() + *offset, n, buffer);
    *offset += n;
    return n;
  };
}

TEST_F(DockerClientTest, BuildsAnImageWithTargetAndBuildArgs) {
  auto dockerfile = "FROM " + m_image +
                    " AS base\n"
                    "ARG GREETING=unset\n"
                    "RUN echo built > /built\n"
                    "RUN echo \"$GREETING\" > /greeting\n"
                    "FROM base AS broken\n"
                    "RUN false\n";
  auto context =
      test::make_tar({{"ci/Dockerfile.test", dockerfile, 0644, TarEntry::Type::file, ""}});
  BuildSpec build;
  build.tag = "cicd-test/built:" + m_label_value;
  build.dockerfile = "ci/Dockerfile.test";
  build.target = "base";
  build.build_args = {{"GREETING", "hi there"}};
  build.labels = {{"cicd.test", m_label_value}};
  m_images.push_back(build.tag);
  std::vector<std::string> lines;
  ASSERT_OK(m_client.build_image(
      build, context_source(context), [&lines](std::string_view line) { lines.emplace_back(line); },
      120s));
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("RUN echo built > /built") != std::string::npos;
  })) << ::testing::PrintToString(lines);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  }
  EXPECT_EQ(m_client.image_exists(build.tag).value(), true);

  auto container = spec({"cat", "/built", "/greeting"});
  container.image = build.tag;
  auto [code, output] = run(container);
  EXPECT_EQ(code, 0) << output.err;
  EXPECT_EQ(output.out, "built\nhi there\n");
}

TEST_F(DockerClientTest, ReportsAFailedBuildStep) {
  auto context = test::make_tar({{"Dockerfile", "FROM " + m_image + "\nRUN echo before; false\n",
                                  0644, TarEntry::Type::file, ""}});
  BuildSpec build;
  build.tag = "cicd-test/broken:" + m_label_value;
  build.labels = {{"cicd.test", m_label_value}};
  m_images.push_back(build.tag);
  std::vector<std::string> lines;
  auto built = m_client.build_image(
      build, context_source(context), [&lines](std::string_view line) { lines.emplace_back(line); },
      120s);
  ASSERT_ERROR(built, ErrorCode::unprocessable);
  EXPECT_NE(built.error().message.find("non-zero code: 1"), std::string::npos)
      << built.error().message;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "before"), lines.end())
      << ::testing::PrintToString(lines);
  EXPECT_EQ(m_client.image_exists(build.tag).value(), false);
}

TEST_F(DockerClientTest, ReportsABuildFromAMissingImage) {
  auto context = test::make_tar({{"Dockerfile", "FROM " + std::string(k_absent_image) + "\n", 0644,
                                  TarEntry::Type::file, ""}});
  BuildSpec build;
  build.tag = "cicd-test/never:" + m_label_value;
  m_images.push_back(build.tag);
  auto built = m_client.build_image(build, context_source(context), {}, 120s);
  ASSERT_FALSE(built.has_value());
  EXPECT_TRUE(built.error().message.starts_with("Docker: ")) << built.error().message;
}

TEST_F(DockerClientTest, AStreamedArchiveBelongsToTheContainersUser) {
  auto job = spec({"sh", "-c", "stat -c '%u:%g %a' /workspace /workspace/run.sh && ./run.sh"});
  job.user = "nobody"; // in the busybox image's passwd: Docker looks it up there
  job.working_dir = "/workspace";
  auto id = create(job);
  ASSERT_FALSE(HasFailure());
  // A checkout: the workspace itself, an executable script, a file in a folder.
  // Under the workspace's own name, extracted in its parent: the workspace changes owner too.
  auto tar =
      test::make_tar({{"workspace", "", 0755, TarEntry::Type::directory, ""},
                      {"workspace/run.sh",
                       "#!/bin/sh\necho ran as $(id -u) > made-by-job.txt && cat made-by-job.txt\n",
                       0755, TarEntry::Type::file, ""},
                      {"workspace/src", "", 0755, TarEntry::Type::directory, ""},
                      {"workspace/src/a.txt", "a", 0644, TarEntry::Type::file, ""}});
  ASSERT_OK(m_client.put_archive(id, "/", context_source(tar), true));
  ASSERT_OK(m_client.start_container(id));
  auto output = follow(id);
  EXPECT_EQ(m_client.wait_container(id, k_wait).value(), 0) << output.err;
  // The job, running as an unprivileged user, owns its workspace and can write to it.
  EXPECT_EQ(output.out, "65534:65534 755\n65534:65534 755\nran as 65534\n");
}

TEST_F(DockerClientTest, PushesToARegistryAndPullsBack) {
  auto registry = test::test_registry();
  if (registry.empty()) {
    return;
  }
  auto shared = registry + "/cicd-test/pushed:" + m_label_value;
  m_images.push_back(shared);
  ASSERT_OK(m_client.tag_image(m_image, shared));
  ASSERT_OK(m_client.push_image(shared, 120s));
  ASSERT_OK(m_client.remove_image(shared));
  ASSERT_EQ(m_client.image_exists(shared).value(), false);
  ASSERT_OK(m_client.pull_image(shared, 120s));
  EXPECT_EQ(m_client.image_exists(shared).value(), true);

  // A tag the registry does not have: the pull fails and says which image.
  auto missing = m_client.pull_image(registry + "/cicd-test/never-pushed:1", 60s);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("never-pushed"), std::string::npos)
      << missing.error().message;
}

TEST_F(DockerClientTest, APushToARegistryThatIsNotThereFails) {
  auto port = std::to_string(test::free_port()); // nothing listens there
  auto shared = "127.0.0.1:" + port + "/cicd-test/nowhere:" + m_label_value;
  m_images.push_back(shared);
  ASSERT_OK(m_client.tag_image(m_image, shared));
  auto pushed = m_client.push_image(shared, 60s);
  ASSERT_FALSE(pushed.has_value());
  EXPECT_NE(pushed.error().message.find("127.0.0.1:" + port), std::string::npos)
      << pushed.error().message;
}

TEST_F(DockerClientTest, RemovesContainersAndNetworks) {
  auto network = new_network();
  auto id = create(spec({"sleep", "300"}));
  ASSERT_FALSE(HasFailure());
  ASSERT_OK(m_client.start_container(id));

  EXPECT_ERROR(m_client.remove_container(id, false), ErrorCode::conflict); // still running
  ASSERT_OK(m_client.remove_container(id, true));
  EXPECT_ERROR(m_client.inspect_container(id), ErrorCode::not_found);
  EXPECT_ERROR(m_client.remove_container(id, true), ErrorCode::not_found);
  EXPECT_TRUE(m_client.containers_with_label(label())->empty());

  ASSERT_EQ(m_client.networks_with_label(label())->size(), 1u);
  ASSERT_OK(m_client.remove_network(network));
  EXPECT_TRUE(m_client.networks_with_label(label())->empty());
  EXPECT_ERROR(m_client.remove_network(network), ErrorCode::not_found);
}

TEST_F(DockerClientTest, RefusesADuplicateNetworkName) {
  auto network = new_network();
  ASSERT_FALSE(HasFailure());
  EXPECT_ERROR(m_client.create_network(network, {{"cicd.test", m_label_value}}),
               ErrorCode::conflict);
}

TEST_F(DockerClientTest, StreamsALargeOutputWithBoundedMemory) {
  auto id = create(shell(spec({}), "yes 0123456789abcdef | head -c 20000000"));
  ASSERT_OK(m_client.start_container(id));
  bool can_measure = reset_peak_rss();
  auto baseline = peak_rss_bytes();
  std::size_t out_bytes = 0;
  std::size_t err_bytes = 0;
  std::size_t largest_piece = 0;
  bool content_ok = true;
  ASSERT_OK(m_client.follow_logs(id, [&](OutputStream stream, std::string_view bytes) {
    largest_piece = std::max(largest_piece, bytes.size());
    if (stream == OutputStream::stdout_stream) {
      for (std::size_t i = 0; i < bytes.size() && content_ok; ++i) {
        content_ok = bytes[i] == "0123456789abcdef\n"[(out_bytes + i) % 17];
      }
      out_bytes += bytes.size();
    } else {
      err_bytes += bytes.size();
    }
    return true;
  }));
  auto growth = peak_rss_bytes() - baseline;
  EXPECT_EQ(out_bytes, 20'000'000u);
  EXPECT_EQ(err_bytes, 0u);
  EXPECT_TRUE(content_ok);
  EXPECT_LE(largest_piece, 64u * 1024);
  if (can_measure) {
    EXPECT_LT(growth, 8 * 1024 * 1024) << "the peak RSS grew by " << growth << " bytes";
  }
  EXPECT_EQ(m_client.wait_container(id, k_wait).value(), 0);
}

TEST_F(DockerClientTest, StopsFollowingWhenTheSinkSaysSo) {
  auto id = create(shell(spec({}), "echo first; sleep 300"));
  ASSERT_OK(m_client.start_container(id));
  std::string seen;
  ASSERT_OK(m_client.follow_logs(id, [&seen](OutputStream, std::string_view bytes) {
    seen.append(bytes);
    return false;
  }));
  EXPECT_EQ(seen, "first\n");
  EXPECT_TRUE(m_client.inspect_container(id)->running);
}

TEST_F(DockerClientTest, AttachingBeforeStartSeesAllOutputWithoutDockerKeepingALog) {
  auto container = shell(spec({}), "echo out; echo err >&2; sleep 0.2; printf last");
  container.docker_logs = false;
  auto id = create(container);
  auto attachment = m_client.attach_output(id);
  ASSERT_OK(attachment);
  ASSERT_OK(m_client.start_container(id));
  std::string out;
  std::string err;
  ASSERT_OK(attachment->read([&](OutputStream stream, std::string_view bytes) {
    (stream == OutputStream::stdout_stream ? out : err).append(bytes);
    return true;
  }));
  EXPECT_EQ(out, "out\nlast"); // the final line without a newline is not lost
  EXPECT_EQ(err, "err\n");
  EXPECT_EQ(m_client.wait_container(id, k_wait).value(), 0);
  // Docker kept no copy: its logs cannot be read back.
  EXPECT_FALSE(m_client.tail_logs(id, 10, [](OutputStream, std::string_view) { return true; }));
}

TEST_F(DockerClientTest, AttachingToAnUnknownContainerIsNotFound) {
  EXPECT_ERROR(m_client.attach_output("cicd-test-no-such-container"), ErrorCode::not_found);
}

TEST_F(DockerClientTest, CreatingFromAnUnknownImageIsNotFound) {
  auto container = spec({"true"});
  container.image = k_absent_image;
  auto created = m_client.create_container(container);
  ASSERT_ERROR(created, ErrorCode::not_found);
  EXPECT_EQ(created.error().message, "Docker: No such image: " + std::string(k_absent_image));
}

TEST(DockerClientWithoutEngineTest, AMissingSocketIsUnavailable) {
  Client client("/nonexistent/cicd-test/docker.sock");
  auto version = client.api_version();
  ASSERT_ERROR(version, ErrorCode::unavailable);
  EXPECT_NE(version.error().message.find("/nonexistent/cicd-test/docker.sock"), std::string::npos)
      << version.error().message;
}

TEST(DockerClientWithoutEngineTest, TakesOnlyUnixSocketsFromDockerHost) {
  const char* saved = std::getenv("DOCKER_HOST");
  std::string previous = saved != nullptr ? saved : "";
  ::setenv("DOCKER_HOST", "unix:///run/elsewhere.sock", 1);
  EXPECT_EQ(Client::from_environment().socket_path(), "/run/elsewhere.sock");
  ::setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
  EXPECT_THROW(Client::from_environment(), Fatal);
  ::unsetenv("DOCKER_HOST");
  EXPECT_EQ(Client::from_environment().socket_path(), "/var/run/docker.sock");
  if (saved != nullptr) {
    ::setenv("DOCKER_HOST", previous.c_str(), 1);
  }
}

} // namespace
} // namespace cicd::docker

// Issue 11, security tests of the containers a real run makes: read through the Docker API of
// the test's private engine (with curl, independently of cicd's Docker client), the job's and
// its sidecar's containers are not privileged, mount nothing of the host, get no device and no
// added capability, and are not on the host's network. (A job asking for any of that is refused
// at PUT: api_jobs_test.cpp IsolationEscapesAreRefusedWithTheReason; in a repository's config:
// repo_config_test.cpp and ctl_apply_test.cpp.) A result that is a link out of the workspace
// is not followed.
#include "agent_fixture.hpp"

#include "support/s3_test_server.hpp" // run_program

#include <rapidjson/document.h>

namespace cicd::test {
namespace {

using SecurityContainersTest = AgentTest;

// GET `path` on the engine's API, parsed.
rapidjson::Document engine_get(const std::string& socket, const std::string& path) {
  auto got =
      run_program({"curl", "-sS", "--fail", "--unix-socket", socket, "http://engine" + path});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  rapidjson::Document document;
  document.Parse(got.out.data(), got.out.size());
  EXPECT_FALSE(document.HasParseError()) << got.out;
  return document;
}

// Whether `value` is absent, null or an empty array/object.
bool empty_or_null(const rapidjson::Value& object, const char* name) {
  if (!object.HasMember(name) || object[name].IsNull()) {
    return true;
  }
  const auto& value = object[name];
  return (value.IsArray() && value.Empty()) || (value.IsObject() && value.MemberCount() == 0);
}

TEST_F(SecurityContainersTest, ARunsContainersAreUnprivilegedWithoutHostMountsDevicesOrCaps) {
  auto service = R"("services": {"db": {"image": )" + json_quote(image()) +
                 R"(, "command": ["sh", "-c", "echo db up; sleep 30"]}})";
  put_job("inspect", freestyle_job("echo job up\nsleep 30", service));
  auto id = trigger("inspect");
  wait_for_console("inspect", id, "job up");
  auto containers = docker().containers_with_label("cicd.run=" + std::to_string(id));
  ASSERT_TRUE(containers.has_value()) << containers.error().message;
  ASSERT_EQ(containers->size(), 2u) << "the job's and the sidecar's";
  for (const auto& container : *containers) {
    SCOPED_TRACE(container);
    auto inspected = engine_get(docker().socket_path(), "/containers/" + container + "/json");
    ASSERT_TRUE(inspected.IsObject() && inspected.HasMember("HostConfig"));
    const auto& host = inspected["HostConfig"];
    EXPECT_FALSE(host["Privileged"].GetBool());
    for (const auto* member : {"Binds", "Mounts", "Devices", "DeviceRequests", "DeviceCgroupRules",
                               "CapAdd", "VolumesFrom", "Links"}) {
      EXPECT_TRUE(empty_or_null(host, member)) << member;
    }
    EXPECT_TRUE(empty_or_null(inspected, "Mounts")) << "the container mounts something";
    auto network_mode = std::string(host["NetworkMode"].GetString());
    EXPECT_NE(network_mode, "host");
    EXPECT_FALSE(network_mode.starts_with("container:"));
    for (const auto* mode : {"PidMode", "IpcMode", "UTSMode", "UsernsMode"}) {
      auto value = host.HasMember(mode) && host[mode].IsString() ? host[mode].GetString() : "";
      EXPECT_NE(std::string(value), "host") << mode;
    }
    const auto& attached = inspected["NetworkSettings"]["Networks"];
    EXPECT_FALSE(attached.HasMember("host"));
    EXPECT_FALSE(attached.HasMember("bridge")) << "on the engine's shared default network";
  }
  EXPECT_EQ(call(Verb::post, run_path("inspect", id) + "/abort", {}, "trigger").status, 202);
  EXPECT_EQ(wait_for_end("inspect", id).status, "aborted");
}

TEST_F(SecurityContainersTest, AResultThatLinksOutOfTheWorkspaceIsNotFollowed) {
  put_job("escape", freestyle_job(R"(ln -s /etc/passwd passwd-link
mkdir -p out && ln -s / out/root && ln -s /etc/passwd out/passwd && echo kept > out/kept.txt)",
                                  R"("results": {"link": {"path": "passwd-link"},
                                     "tree": {"path": "out", "type": "dir"}})"));
  auto id = trigger("escape");
  auto run = wait_for_end("escape", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  for (const auto& result : results("escape", id)) {
    auto got = this->result("escape", id, result.name);
    EXPECT_TRUE(lacks_text(got.body, "root:x:0:0")) << result.name;
    if (result.name == "tree") {
      auto files = read_archive_files(got.body);
      EXPECT_EQ(files.size(), 1u);
      EXPECT_EQ(files["out/kept.txt"], "kept\n");
    }
  }
  auto output = console("escape", id);
  EXPECT_TRUE(holds_text(output, "result 'tree': 2 entries that are not regular files or "
                                 "folders (links, devices) were left out"));
  EXPECT_TRUE(lacks_text(output, "stored result 'link'"));
}

} // namespace
} // namespace cicd::test

// Resource classes on the agent: the job container gets its class's limits, and the classes
// of the runs in hand stay within the agent's capacity (--cpus, --memory-mib), on
// `cicd standalone` (whose agent serves every defined class).
#include "agent_fixture.hpp"

#include <thread>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;

// What the job container's cgroup allows, in the same words on cgroup v1 and v2:
// "memory=<bytes>" and "cpu=<quota µs> <period µs>".
constexpr std::string_view k_print_limits =
    "if [ -f /sys/fs/cgroup/memory.max ]; then\n"
    "  echo \"memory=$(cat /sys/fs/cgroup/memory.max)\"\n"
    "  echo \"cpu=$(cat /sys/fs/cgroup/cpu.max)\"\n"
    "else\n"
    "  echo \"memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)\"\n"
    "  echo \"cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) "
    "$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)\"\n"
    "fi";

class AgentResourceClassesTest : public AgentTest {
protected:
  void put_class(std::string_view name, std::string_view body) {
    auto response = call(Verb::put, "/settings/resource-classes/" + std::string(name), body);
    EXPECT_TRUE(response.status == 200 || response.status == 201)
        << "PUT " << name << " → " << response.status << " " << response.body;
  }

  // Polls for up to `period` that the run stays queued; false (and a failed test) as soon as
  // it is not. A bounded wait, no timing claim: the run must not start at all meanwhile.
  bool stays_queued(std::string_view job, std::int64_t id, std::chrono::milliseconds period) {
    auto until = std::chrono::steady_clock::now() + period;
    while (std::chrono::steady_clock::now() < until) {
      auto run = get_run(job, id);
      if (run.status != "queued") {
        ADD_FAILURE() << "run " << id << " left the queue: " << run.body;
        return false;
      }
      std::this_thread::sleep_for(200ms);
    }
    return true;
  }
};

TEST_F(AgentResourceClassesTest, TheJobContainerGetsTheLimitsOfItsClass) {
  put_class("large", R"({"cpus": 0.5, "memoryMiB": 64})");
  put_job("limited", freestyle_job(k_print_limits, R"("resourceClass": "large")"));
  auto id = trigger("limited");
  auto run = wait_for_end("limited", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  auto text = console("limited", id);
  EXPECT_TRUE(holds_text(text, "[cicd] resource class large: 0.5 cpus, 64 MiB\n"));
  EXPECT_TRUE(holds_text(text, "memory=67108864\n"));
  EXPECT_TRUE(holds_text(text, "cpu=50000 100000\n"));
}

TEST_F(AgentResourceClassesTest, TheDefaultClassLimitsTooAndCanBeChanged) {
  put_job("plain", freestyle_job(k_print_limits));
  auto first = trigger("plain");
  EXPECT_EQ(wait_for_end("plain", first).status, "succeeded");
  auto text = console("plain", first);
  EXPECT_TRUE(lacks_text(text, "[cicd] resource class")); // the built-in default is not noted
  EXPECT_TRUE(holds_text(text, "memory=2147483648\n"));
  EXPECT_TRUE(holds_text(text, "cpu=100000 100000\n"));

  // The agent reads the definitions again within a few seconds.
  put_class("default", R"({"cpus": 0.25, "memoryMiB": 32})");
  std::string limits;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto id = trigger("plain");
    EXPECT_EQ(wait_for_end("plain", id).status, "succeeded");
    limits = console("plain", id);
    if (limits.find("memory=33554432\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(1s);
  }
  EXPECT_TRUE(holds_text(limits, "[cicd] resource class default: 0.25 cpus, 32 MiB\n"));
  EXPECT_TRUE(holds_text(limits, "cpu=25000 100000\n"));
}

// Two slots, but CPUs for one run of the class at a time.
class AgentCpuQuotaTest : public AgentResourceClassesTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 2;
    options.cpus = 1;
    return options;
  }
};

TEST_F(AgentCpuQuotaTest, ASecondRunWaitsQueuedUntilTheFirstFreesItsCpus) {
  put_class("one-cpu", R"({"cpus": 1, "memoryMiB": 64})");
  put_job("sleepy", freestyle_job("echo started\nsleep 3", R"("resourceClass": "one-cpu")"));
  auto first = trigger("sleepy");
  wait_for_console("sleepy", first, "started\n");
  auto second = trigger("sleepy");
  EXPECT_TRUE(stays_queued("sleepy", second, 1500ms));
  EXPECT_EQ(get_run("sleepy", first).status, "running");

  auto first_run = wait_for_end("sleepy", first);
  auto second_run = wait_for_end("sleepy", second);
  EXPECT_EQ(first_run.status, "succeeded") << first_run.body;
  EXPECT_EQ(second_run.status, "succeeded") << second_run.body;
  EXPECT_GE(second_run.started_at, first_run.finished_at) << "1 cpu: one run of the class at once";
}

TEST_F(AgentCpuQuotaTest, SmallerRunsGoOnWhileABiggerOneWaits) {
  put_class("half", R"({"cpus": 0.5, "memoryMiB": 64})");
  put_job("half-job", freestyle_job("echo started\nsleep 3", R"("resourceClass": "half")"));
  auto a = trigger("half-job");
  auto b = trigger("half-job");
  wait_for_console("half-job", a, "started\n");
  wait_for_console("half-job", b, "started\n"); // two halves fit one cpu at once
  put_class("one-cpu", R"({"cpus": 1, "memoryMiB": 64})");
  put_job("whole", freestyle_job("echo whole", R"("resourceClass": "one-cpu")"));
  auto whole = trigger("whole");
  EXPECT_TRUE(stays_queued("whole", whole, 1000ms));
  EXPECT_EQ(wait_for_end("half-job", a).status, "succeeded");
  EXPECT_EQ(wait_for_end("half-job", b).status, "succeeded");
  EXPECT_EQ(wait_for_end("whole", whole).status, "succeeded");
}

TEST_F(AgentCpuQuotaTest, AClassBiggerThanTheAgentIsNeverTaken) {
  put_class("huge", R"({"cpus": 2, "memoryMiB": 64})");
  put_job("huge-job", freestyle_job("echo should not run", R"("resourceClass": "huge")"));
  auto huge = trigger("huge-job");
  put_job("plain", freestyle_job("echo plain"));
  auto plain = trigger("plain");
  EXPECT_EQ(wait_for_end("plain", plain).status, "succeeded");
  // Said once the agent has read the new class (within a few seconds), and the run stays.
  constexpr std::string_view k_never =
      "resource class 'huge' needs 2 cpus, 64 MiB, more than this agent's whole capacity (1 cpu, ";
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (standalone().log().find(k_never) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(holds_text(standalone().log(), k_never));
  EXPECT_TRUE(stays_queued("huge-job", huge, 2000ms));
  // Teardown aborts it while queued and checks nothing was left.
}

// Plenty of CPUs, memory for one run of the class at a time.
class AgentMemoryQuotaTest : public AgentResourceClassesTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 2;
    options.cpus = 2;
    options.memory_mib = 100;
    return options;
  }
};

TEST_F(AgentMemoryQuotaTest, ASecondRunWaitsQueuedUntilTheFirstFreesItsMemory) {
  put_class("mem", R"({"cpus": 0.1, "memoryMiB": 64})");
  put_job("sleepy", freestyle_job("echo started\nsleep 3", R"("resourceClass": "mem")"));
  auto first = trigger("sleepy");
  wait_for_console("sleepy", first, "started\n");
  auto second = trigger("sleepy");
  EXPECT_TRUE(stays_queued("sleepy", second, 1500ms));

  auto first_run = wait_for_end("sleepy", first);
  auto second_run = wait_for_end("sleepy", second);
  EXPECT_EQ(first_run.status, "succeeded") << first_run.body;
  EXPECT_EQ(second_run.status, "succeeded") << second_run.body;
  EXPECT_GE(second_run.started_at, first_run.finished_at) << "100 MiB: one 64 MiB run at once";
}

} // namespace
} // namespace cicd::test

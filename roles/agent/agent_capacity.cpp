#include "agent_capacity.hpp"

#include <boost/assert.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace cicd::agent {

int machine_cores() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::int64_t machine_memory_mib() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemTotal:") {
      return kib / 1024;
    }
  }
  return 0;
}

AgentCapacity::AgentCapacity(double cpus, std::int64_t memory_mib) {
  if (cpus < 0 || memory_mib < 0) {
    throw Fatal("--cpus and --memory-mib must be positive, or 0 for the machine's own", 2);
  }
  m_nano_cpus = std::llround((cpus > 0 ? cpus : machine_cores()) * 1e9);
  m_memory_mib = memory_mib > 0 ? memory_mib : machine_memory_mib();
  if (m_memory_mib <= 0) {
    throw Fatal("cannot read the machine's memory from /proc/meminfo: give --memory-mib");
  }
}

std::string AgentCapacity::describe() const {
  return model::describe_limits(model::ResourceClass{"", cpus(), m_memory_mib});
}

bool AgentCapacity::could_ever_fit(const model::ResourceClass& resource_class) const {
  return resource_class.nano_cpus() <= m_nano_cpus && resource_class.memory_mib <= m_memory_mib;
}

bool AgentCapacity::fits_now(const model::ResourceClass& resource_class) const {
  std::lock_guard lock(m_mutex);
  return m_used_nano_cpus + resource_class.nano_cpus() <= m_nano_cpus &&
         m_used_memory_mib + resource_class.memory_mib <= m_memory_mib;
}

void AgentCapacity::reserve(std::int64_t run_id, const model::ResourceClass& resource_class) {
  std::lock_guard lock(m_mutex);
  if (m_reserved.emplace(run_id, resource_class).second) {
    m_used_nano_cpus += resource_class.nano_cpus();
    m_used_memory_mib += resource_class.memory_mib;
  }
}

void AgentCapacity::release(std::int64_t run_id) {
  std::lock_guard lock(m_mutex);
  if (auto found = m_reserved.find(run_id); found != m_reserved.end()) {
    m_used_nano_cpus -= found->second.nano_cpus();
    m_used_memory_mib -= found->second.memory_mib;
    m_reserved.erase(found);
  }
}

model::ResourceClass AgentCapacity::reserved(std::int64_t run_id) const {
  std::lock_guard lock(m_mutex);
  auto found = m_reserved.find(run_id);
  BOOST_ASSERT_MSG(found != m_reserved.end(), "a run executes only once reserved");
  return found != m_reserved.end() ? found->second : model::default_resource_class();
}

} // namespace cicd::agent

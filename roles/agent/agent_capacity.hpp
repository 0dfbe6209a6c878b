#pragma once
// What an agent may still run by resource class: its capacity in CPUs and memory (given, or the
// machine's), less the classes of the runs in hand. The agent takes a run only when its class
// fits what is free; this comes on top of the slots and the CPU threshold, never instead.

#include "cicd/model/resource_class.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace cicd::agent {

// The machine's cores (at least 1) and total memory in MiB (MemTotal in /proc/meminfo; 0 when
// it cannot be read).
int machine_cores();
std::int64_t machine_memory_mib();

// Thread safety: all methods may be called concurrently.
class AgentCapacity {
public:
  // `cpus` <= 0: machine_cores(); `memory_mib` <= 0: machine_memory_mib(). Throws Fatal when
  // the machine's memory is needed and cannot be read.
  AgentCapacity(double cpus, std::int64_t memory_mib);

  double cpus() const { return static_cast<double>(m_nano_cpus) / 1e9; }
  std::int64_t memory_mib() const { return m_memory_mib; }
  // "2 cpus, 4096 MiB"
  std::string describe() const;

  // Whether a run of the class fits the whole capacity (false: this agent never takes it).
  bool could_ever_fit(const model::ResourceClass& resource_class) const;
  // Whether a run of the class fits what the runs in hand leave free.
  bool fits_now(const model::ResourceClass& resource_class) const;
  // Counts the run's class against the capacity until release(run_id).
  void reserve(std::int64_t run_id, const model::ResourceClass& resource_class);
  void release(std::int64_t run_id);
  // The class reserved for the run (the built-in default when none is: a bug).
  model::ResourceClass reserved(std::int64_t run_id) const;

private:
  // Nano-CPUs, so that sums of fractions (0.1 + 0.2) are exact.
  std::int64_t m_nano_cpus = 0;
  std::int64_t m_memory_mib = 0;
  mutable std::mutex m_mutex;
  std::map<std::int64_t, model::ResourceClass> m_reserved;
  std::int64_t m_used_nano_cpus = 0;
  std::int64_t m_used_memory_mib = 0;
};

} // namespace cicd::agent

#pragma once
// The sweeper: what no single agent can decide. One master at a time performs it (a duty
// leased in the database), every period:
// - a run whose lease expired (its agent stopped renewing: killed, cut off, hung) becomes
//   errored "agent lost: …", and is run again when its job opted in to retries;
// - queued runs whose message the queue lost (the broker was down at trigger time, or lost
//   it) are published again: when a class's queue is empty but runs of it have waited longer
//   than `republish_after`. A duplicate message is harmless;
// - agents silent for `forget_agents_after` leave the agent list;
// - every `retention_period`: the results of finished runs older than their job's
//   resultRetentionDays (or the global setting) expire, then their objects are deleted from
//   the result store (see Store::expire_results for why in two steps).

#include "cicd/queue/queue.hpp"
#include "cicd/results/result_store.hpp"
#include "cicd/store/store.hpp"

#include <boost/program_options/options_description.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cicd::master {

struct SweeperOptions {
  std::string holder; // this process, as the duty's holder
  std::chrono::milliseconds period{5000};
  std::chrono::milliseconds republish_after{30000};
  std::chrono::milliseconds forget_agents_after{std::chrono::minutes(10)};
  std::chrono::milliseconds retention_period{std::chrono::minutes(1)};
};

// Adds --sweep-period, --republish-after and --retention-period, which write into `options`.
void add_sweeper_options(boost::program_options::options_description& description,
                         SweeperOptions& options);

// Thread safety: start() and stop() from one thread.
class Sweeper {
public:
  Sweeper(store::Store& store, queue::Queue& queue, results::ResultStore& results,
          SweeperOptions options);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  void start();
  void stop();

private:
  // One pass, if this process holds the duty.
  void sweep_once();
  void expire_leases(std::int64_t now_ms);
  void republish_lost_messages(std::int64_t now_ms);
  void expire_results(std::int64_t now_ms);
  void purge_expired_results();

  store::Store& m_store;
  queue::Queue& m_queue;
  results::ResultStore& m_results;
  std::int64_t m_last_retention_ms = 0;
  SweeperOptions m_options;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
};

} // namespace cicd::master

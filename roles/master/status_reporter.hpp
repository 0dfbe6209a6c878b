#pragma once
// Reports the status of hook-triggered runs back to their forge as commit statuses, like an
// outbox: agents write run statuses themselves (DESIGN.md), so every period the reporter
// looks for hook runs whose status changed since it was last reported, claims each with a
// conditional update (so two masters never post the same report) and posts it:
//   GitHub  POST {apiUrl}/repos/{owner}/{repo}/statuses/{sha}  pending | success | failure | error
//   GitLab  POST {apiUrl}/projects/{id}/statuses/{sha}  pending | running | success | failed |
//   canceled
// with context (GitLab: name) "cicd/<job>", a description and, when --ui-url is set, a
// target_url at the run's page in `cicd ui`. A transient failure (no answer, 5xx, 408, 429)
// is retried with exponential back-off; a permanent one (another 4xx) is recorded on the run
// (GET run: statusReport.error) and never changes the run's status.

#include "cicd/crypto/secret_box.hpp"
#include "cicd/store/store.hpp"

#include <boost/program_options/options_description.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cicd::master {

struct StatusReporterOptions {
  std::string ui_url; // the base URL of `cicd ui` as the forge's users reach it; empty: none
  std::chrono::milliseconds period{2000};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
};

// Adds --ui-url and --status-report-period.
void add_status_reporter_options(boost::program_options::options_description& description,
                                 StatusReporterOptions& options);

// Thread safety: start() and stop() from one thread.
class StatusReporter {
public:
  StatusReporter(store::Store& store, const crypto::SecretBox& secret_box,
                 StatusReporterOptions options);
  ~StatusReporter();
  StatusReporter(const StatusReporter&) = delete;
  StatusReporter& operator=(const StatusReporter&) = delete;

  void start();
  void stop();

private:
  void report_due();

  store::Store& m_store;
  const crypto::SecretBox& m_secret_box;
  StatusReporterOptions m_options;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
};

} // namespace cicd::master

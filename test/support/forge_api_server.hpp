#pragma once
// A stand-in for a forge's commit status API (GitHub's POST /repos/…/statuses/{sha}, GitLab's
// POST /projects/{id}/statuses/{sha}) on 127.0.0.1: it records every request and answers 201,
// or fails on demand (a status for the next N requests, or for all of them) so a test can take
// the API down and bring it back. It is a real HTTP server on a real socket (cicd's own
// server), so the reporter's client is tested as it runs.

#include "cicd/http/server.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cicd::test {

struct RecordedStatus {
  std::string target;        // "/repos/o/r/statuses/<sha>"
  std::string authorization; // Authorization (GitHub) or PRIVATE-TOKEN (GitLab)
  std::string body;
  int answered = 0; // the status the stand-in answered
  // Members of the JSON body (state, context or name, description, target_url).
  std::string state, context, description, target_url;
};

// Thread safety: every method may be called from any thread.
class ForgeApiServer {
public:
  ForgeApiServer();
  ForgeApiServer(const ForgeApiServer&) = delete;
  ForgeApiServer& operator=(const ForgeApiServer&) = delete;
  ~ForgeApiServer();

  // http://127.0.0.1:<port>, the apiUrl of a connection.
  std::string url() const;
  // The next `count` requests are answered `status` (503: the API is down).
  void fail_next(int count, int status);
  // Every request from now on is answered `status` (0: back to 201).
  void answer_always(int status);
  std::vector<RecordedStatus> requests() const;

private:
  http::Reply answer(http::Request&& request);

  mutable std::mutex m_mutex;
  std::vector<RecordedStatus> m_requests;
  int m_fail_count = 0;
  int m_fail_status = 0;
  int m_always = 0;
  std::unique_ptr<http::Server> m_server;
  std::thread m_thread;
};

} // namespace cicd::test

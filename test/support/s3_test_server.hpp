#pragma once
// The test S3 server scripts/lib/s3.sh starts (s3rver behind test/s3/verifying_front.mjs, which
// checks SigV4 as S3 does), as the tests see it: where it is and whose keys it takes, an
// independent client (AWS's SDK, test/s3/read_back.mjs) to check what cicd stored, and the
// front's fault injection (outages, injected errors, stalls) and counters.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::test {

struct S3TestServer {
  std::string endpoint; // http://127.0.0.1:PORT
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string admin;  // 127.0.0.1:PORT of the front's fault injection
  std::string client; // read_back.mjs

  // s3://<bucket>/<prefix>?endpoint=<endpoint> (prefix percent-encoded where needed).
  std::string url(std::string_view prefix) const;
};

// The server from CICD_TEST_S3_*; when absent, a fatal failure under CI=true and a loud skip
// elsewhere (check HasFatalFailure() / IsSkipped() after the call): nullopt then.
std::optional<S3TestServer> test_s3_server();

// What the independent client read back.
struct StoredObject {
  bool missing = false;
  std::int64_t size = 0;
  std::string sha256;
  std::string content_type;
};

StoredObject read_back(const S3TestServer& server, const std::string& key);
// Every key under `prefix`, through the independent client.
std::vector<std::string> list_keys(const S3TestServer& server, const std::string& prefix);

// The front's counters (GET /stats?scope=…) of the requests whose decoded path contains
// `scope` (a test's prefix), counted from the first time the front heard of that scope: take
// them once before what is measured, and subtract.
struct FrontStats {
  std::int64_t requests = 0;
  std::int64_t refused = 0;  // bad or missing signatures
  std::int64_t resets = 0;   // connections reset by an outage
  std::int64_t injected = 0; // answers of fail_status
  std::int64_t stalled = 0;
  std::int64_t pending_uploads = 0; // multipart uploads neither completed nor aborted
};
FrontStats front_stats(const S3TestServer& server, std::string_view scope);
// POST /faults?scope=…&<query> ("reset_seconds=30", "fail_status=503&fail_count=2") for the
// requests whose decoded path contains `scope`; fails the test unless the front took it.
void inject_fault(const S3TestServer& server, std::string_view scope, const std::string& query);
// POST /faults/clear?scope=…: the scope's faults end now.
void clear_faults(const S3TestServer& server, std::string_view scope);

// A prefix no other test uses: "<name>-<pid>-<n>/".
std::string unique_prefix(std::string_view name);

// Writes `size` bytes of pseudo-random content (seeded) to `file`; returns its SHA-256 (hex).
std::string write_test_file(const std::filesystem::path& file, std::int64_t size,
                            std::uint32_t seed = 1);

// SHA-256 (hex) of bytes given piece by piece.
class Sha256Stream {
public:
  Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  ~Sha256Stream();
  void add(std::string_view bytes);
  std::string hex(); // ends the stream

private:
  void* m_context;
};

struct ProgramOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs `argv` (no shell) to its end, 120 s at most.
ProgramOutput run_program(const std::vector<std::string>& argv);

} // namespace cicd::test

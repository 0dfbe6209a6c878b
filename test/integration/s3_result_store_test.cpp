// The S3 backend of ResultStore against the test S3 server scripts/test starts: s3rver behind a
// front that checks every signature with AWS's own SigV4 code, so a request libcurl signed
// wrongly fails here as it would on S3. What was stored is checked with an independent client
// (AWS's SDK for JavaScript), never only with the backend's own read(). Each test works under
// a prefix of its own: ctest runs two tests at a time against the same bucket.
//
// Errors: every S3 failure but a missing object is ErrorCode::unavailable (the API answers
// 503: the store is unusable as configured or for now), with S3's error code in the message.

#include "results/backends.hpp"
#include "results/s3_config.hpp"

#include "support/cicd_process.hpp"
#include "support/s3_test_server.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace cicd::results {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t k_mib = 1024 * 1024;

class S3ResultStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto server = test::test_s3_server();
    if (!server) {
      return;
    }
    m_server = *server;
    m_prefix = test::unique_prefix("it é ü");
  }

  void TearDown() override {
    if (!m_server.endpoint.empty()) {
      test::clear_faults(m_server, m_prefix);
    }
  }

  // Quicker retries than production's, so that failure tests end in seconds.
  static S3Tuning quick_tuning() {
    S3Tuning tuning;
    tuning.attempts = 4;
    tuning.first_backoff = 200ms;
    tuning.retry_budget = 5s;
    return tuning;
  }

  S3Credentials credentials() const {
    S3Credentials credentials;
    credentials.access_key_id = m_server.access_key;
    credentials.secret_access_key = m_server.secret_key;
    return credentials;
  }

  std::unique_ptr<ResultStore> open(S3Credentials credentials, S3Tuning tuning = quick_tuning(),
                                    std::string bucket = {}) const {
    auto location = parse_s3_url(m_server.url(m_prefix));
    if (!bucket.empty()) {
      location.bucket = std::move(bucket);
    }
    return make_s3_result_store(location, std::move(credentials), tuning);
  }
  std::unique_ptr<ResultStore> open() const { return open(credentials()); }

  fs::path write_file(const std::string& name, std::string_view content) {
    auto file = m_dir.path() / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  static std::string read_all(ResultStore& store, std::int64_t run, std::string_view name,
                              std::int64_t offset = 0) {
    std::string bytes;
    auto read = store.read(run, name, offset, [&](std::string_view piece) {
      bytes.append(piece);
      return true;
    });
    EXPECT_TRUE(read) << (read ? "" : read.error().message);
    return bytes;
  }

  std::string key(std::int64_t run, std::string_view name) const {
    return m_prefix + object_key(run, name);
  }

  test::S3TestServer m_server;
  std::string m_prefix;
  test::TempDir m_dir{"cicd-s3-test"};
};

#define REQUIRE_S3()                                                                               \
  if (m_server.endpoint.empty()) {                                                                 \
    return;                                                                                        \
  }

TEST_F(S3ResultStoreTest, PutReadSizeAndRemoveRunRoundTrip) {
  REQUIRE_S3();
  auto store = open();
  auto console = write_file("console", "line one\nline two\n");
  auto report = write_file("report", "<testsuite/>");
  auto db_log = write_file("db", "ready\n");
  ASSERT_EQ(store->put_file(7, "console", console, "text/plain; charset=utf-8").value(), 18);
  ASSERT_EQ(store->put_file(7, "junit", report, "application/xml").value(), 12);
  ASSERT_EQ(store->put_file(7, "services/db.log", db_log, "text/plain").value(), 6);
  ASSERT_TRUE(store->put_file(8, "console", console, "text/plain"));

  EXPECT_EQ(read_all(*store, 7, "console"), "line one\nline two\n");
  EXPECT_EQ(read_all(*store, 7, "services/db.log"), "ready\n");
  EXPECT_EQ(store->size(7, "junit").value(), 12);
  auto listed = test::list_keys(m_server, m_prefix + "runs/7/");
  EXPECT_EQ(listed, (std::vector<std::string>{key(7, "console"), key(7, "junit"),
                                              key(7, "services/db.log")}));

  // Putting the same name again replaces the object.
  auto shorter = write_file("shorter", "new\n");
  ASSERT_TRUE(store->put_file(7, "console", shorter, "text/plain"));
  EXPECT_EQ(read_all(*store, 7, "console"), "new\n");

  ASSERT_TRUE(store->remove_run(7));
  EXPECT_EQ(test::list_keys(m_server, m_prefix + "runs/7/"), std::vector<std::string>{});
  auto gone = store->size(7, "console");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::not_found);
  auto unread = store->read(7, "junit", 0, [](std::string_view) { return true; });
  ASSERT_FALSE(unread);
  EXPECT_EQ(unread.error().code, ErrorCode::not_found);
  EXPECT_TRUE(store->remove_run(7)) << "removing what is gone succeeds";
  EXPECT_EQ(read_all(*store, 8, "console"), "line one\nline two\n") << "run 8 is untouched";
  ASSERT_TRUE(store->remove_run(8));
}

TEST_F(S3ResultStoreTest, ReadStartsAtTheOffsetAndStopsWhenTheSinkSaysSo) {
  REQUIRE_S3();
  auto store = open();
  ASSERT_TRUE(store->put_file(1, "console", write_file("c", "0123456789"), "text/plain"));
  EXPECT_EQ(read_all(*store, 1, "console", 0), "0123456789");
  EXPECT_EQ(read_all(*store, 1, "console", 4), "456789");
  EXPECT_EQ(read_all(*store, 1, "console", 9), "9");
  EXPECT_EQ(read_all(*store, 1, "console", 10), "") << "at the end: success, no bytes";
  EXPECT_EQ(read_all(*store, 1, "console", 50), "") << "past the end: success, no bytes";

  auto big = m_dir.path() / "big";
  test::write_test_file(big, 8 * k_mib);
  ASSERT_TRUE(store->put_file(1, "big", big, "application/octet-stream"));
  int pieces = 0;
  std::int64_t got = 0;
  auto stopped = store->read(1, "big", 0, [&](std::string_view piece) {
    ++pieces;
    got += static_cast<std::int64_t>(piece.size());
    return false;
  });
  EXPECT_TRUE(stopped) << (stopped ? "" : stopped.error().message);
  EXPECT_EQ(pieces, 1);
  EXPECT_LT(got, 8 * k_mib);
  ASSERT_TRUE(store->remove_run(1));
}

TEST_F(S3ResultStoreTest, A200MegabyteFileGoesUpInPartsAndComesBackWhole) {
  REQUIRE_S3();
  auto store = open();
  auto file = m_dir.path() / "big.tar";
  auto sha = test::write_test_file(file, 200 * k_mib, 7);
  auto before = test::front_stats(m_server, m_prefix);
  auto put = store->put_file(3, "bundle", file, "application/x-tar");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(*put, 200 * k_mib);
  auto after = test::front_stats(m_server, m_prefix);
  // CreateMultipartUpload, 13 parts of 16 MiB (the last 8 MiB), CompleteMultipartUpload.
  EXPECT_EQ(after.requests - before.requests, 15);
  EXPECT_EQ(after.pending_uploads, 0);

  auto stored = test::read_back(m_server, key(3, "bundle"));
  EXPECT_FALSE(stored.missing);
  EXPECT_EQ(stored.size, 200 * k_mib);
  EXPECT_EQ(stored.sha256, sha);
  EXPECT_EQ(stored.content_type, "application/x-tar");

  test::Sha256Stream read_hash;
  std::int64_t read_size = 0;
  auto read = store->read(3, "bundle", 0, [&](std::string_view piece) {
    read_hash.add(piece);
    read_size += static_cast<std::int64_t>(piece.size());
    return true;
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read_size, 200 * k_mib);
  EXPECT_EQ(read_hash.hex(), sha);
  EXPECT_EQ(store->size(3, "bundle").value(), 200 * k_mib);
  ASSERT_TRUE(store->remove_run(3));
}

TEST_F(S3ResultStoreTest, APrefixWithSpacesAndUnicodeIsEncodedForTheSignature) {
  REQUIRE_S3();
  m_prefix = test::unique_prefix("ci runs/é ü 日本 +&=");
  auto store = open();
  ASSERT_TRUE(store->put_file(4, "console", write_file("c", "unicode\n"), "text/plain"));
  auto keys = test::list_keys(m_server, m_prefix);
  EXPECT_EQ(keys, std::vector<std::string>{m_prefix + "runs/4/console.log"});
  EXPECT_EQ(read_all(*store, 4, "console"), "unicode\n");
  EXPECT_EQ(store->size(4, "console").value(), 8);
  ASSERT_TRUE(store->remove_run(4));
  EXPECT_EQ(test::list_keys(m_server, m_prefix), std::vector<std::string>{});
}

TEST_F(S3ResultStoreTest, VirtualHostAddressingSignsForTheBucketsOwnHost) {
  REQUIRE_S3();
  // <bucket>.s3.localhost:PORT reaches the front (libcurl sends *.localhost to loopback), and
  // s3rver takes the bucket from that host name.
  auto port = m_server.endpoint.substr(m_server.endpoint.rfind(':') + 1);
  auto location = parse_s3_url("s3://" + m_server.bucket + "/" + m_prefix +
                               "?endpoint=http://s3.localhost:" + port + "&addressing=virtual");
  EXPECT_EQ(s3_host_header(location), m_server.bucket + ".s3.localhost:" + port);
  auto store = make_s3_result_store(location, credentials(), quick_tuning());
  ASSERT_TRUE(store->put_file(16, "console", write_file("c", "virtual\n"), "text/plain"));
  EXPECT_EQ(test::read_back(m_server, key(16, "console")).size, 8);
  EXPECT_EQ(read_all(*store, 16, "console"), "virtual\n");
  EXPECT_EQ(store->size(16, "console").value(), 8);
  auto url = store->presigned_url(16, "console", 60s);
  ASSERT_TRUE(url);
  auto fetched = test::run_program({"curl", "-sS", "--globoff", *url});
  EXPECT_EQ(fetched.out, "virtual\n") << fetched.err;
  ASSERT_TRUE(store->remove_run(16));
  EXPECT_EQ(test::list_keys(m_server, m_prefix), std::vector<std::string>{});
}

TEST_F(S3ResultStoreTest, TheContentTypeIsRecorded) {
  REQUIRE_S3();
  auto store = open();
  ASSERT_TRUE(store->put_file(5, "junit", write_file("j", "PK"), "application/zip"));
  ASSERT_TRUE(store->put_file(5, "blob", write_file("b", "x"), ""));
  EXPECT_EQ(test::read_back(m_server, key(5, "junit")).content_type, "application/zip");
  EXPECT_EQ(test::read_back(m_server, key(5, "blob")).content_type, "application/octet-stream");
  ASSERT_TRUE(store->remove_run(5));
}

TEST_F(S3ResultStoreTest, AWrongSecretIsRefusedAtOnceAndStoresNothing) {
  REQUIRE_S3();
  auto wrong = credentials();
  wrong.secret_access_key = "not-the-secret";
  auto store = open(wrong);
  auto before = test::front_stats(m_server, m_prefix);
  auto put = store->put_file(6, "console", write_file("c", "secret stuff"), "text/plain");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::unavailable);
  EXPECT_EQ(put.error().message, "the S3 server refused the credentials (SignatureDoesNotMatch): "
                                 "check AWS_SECRET_ACCESS_KEY");
  auto after = test::front_stats(m_server, m_prefix);
  EXPECT_EQ(after.requests - before.requests, 1) << "a refusal is not retried";
  EXPECT_EQ(after.refused - before.refused, 1);

  auto big = m_dir.path() / "big";
  test::write_test_file(big, 20 * k_mib);
  auto multipart = store->put_file(6, "bundle", big, "application/x-tar");
  ASSERT_FALSE(multipart);
  EXPECT_NE(multipart.error().message.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(test::list_keys(m_server, m_prefix), std::vector<std::string>{});

  auto unknown = credentials();
  unknown.access_key_id = "AKIDUNKNOWN";
  auto refused = open(unknown)->put_file(6, "console", write_file("c2", "x"), "text/plain");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "the S3 server does not know the access key "
                                     "(InvalidAccessKeyId): check AWS_ACCESS_KEY_ID");
  auto unread = store->read(6, "console", 0, [](std::string_view) { return true; });
  ASSERT_FALSE(unread);
  EXPECT_NE(unread.error().message.find("SignatureDoesNotMatch"), std::string::npos);
}

TEST_F(S3ResultStoreTest, AnUnknownBucketSaysSo) {
  REQUIRE_S3();
  auto store = open(credentials(), quick_tuning(), "no-such-bucket");
  auto put = store->put_file(1, "console", write_file("c", "x"), "text/plain");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::unavailable);
  EXPECT_EQ(put.error().message, "the S3 bucket 'no-such-bucket' does not exist at " +
                                     m_server.endpoint +
                                     " (NoSuchBucket): create it, or fix the bucket in --results");
  auto read = store->read(1, "console", 0, [](std::string_view) { return true; });
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("NoSuchBucket"), std::string::npos);
  auto removed = store->remove_run(1);
  ASSERT_FALSE(removed);
  EXPECT_NE(removed.error().message.find("NoSuchBucket"), std::string::npos);
}

TEST_F(S3ResultStoreTest, AnOutageIsRetriedWithinBoundsThenReportedAndStoresNothing) {
  REQUIRE_S3();
  auto store = open();
  auto file = write_file("c", "during the outage\n");
  auto before = test::front_stats(m_server, m_prefix);
  test::inject_fault(m_server, m_prefix, "reset_seconds=30");
  testing::internal::CaptureStderr();
  auto start = Clock::now();
  auto put = store->put_file(9, "console", file, "text/plain");
  auto took = Clock::now() - start;
  auto log = testing::internal::GetCapturedStderr();
  test::clear_faults(m_server, m_prefix);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::unavailable);
  EXPECT_NE(put.error().message.find("did not answer the upload of " + key(9, "console") +
                                     " after 4 attempts"),
            std::string::npos)
      << put.error().message;
  EXPECT_LT(took, 6s) << "bounded by the retry budget";
  for (int attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_NE(log.find("(attempt " + std::to_string(attempt) + " of 4:"), std::string::npos) << log;
  }
  EXPECT_GE(test::front_stats(m_server, m_prefix).resets - before.resets, 4);
  EXPECT_TRUE(test::read_back(m_server, key(9, "console")).missing);
}

TEST_F(S3ResultStoreTest, AnUploadCutHalfWayLeavesNoPartialObject) {
  REQUIRE_S3();
  auto store = open();
  auto file = m_dir.path() / "ten";
  test::write_test_file(file, 10 * k_mib);
  test::inject_fault(m_server, m_prefix,
                     "reset_seconds=30&reset_after_bytes=" + std::to_string(2 * k_mib));
  auto put = store->put_file(10, "bundle", file, "application/octet-stream");
  test::clear_faults(m_server, m_prefix);
  ASSERT_FALSE(put);
  EXPECT_NE(put.error().message.find("after"), std::string::npos) << put.error().message;
  std::this_thread::sleep_for(500ms); // the front removes what s3rver wrote of a cut PUT
  EXPECT_TRUE(test::read_back(m_server, key(10, "bundle")).missing);
  EXPECT_EQ(test::list_keys(m_server, m_prefix), std::vector<std::string>{});
}

TEST_F(S3ResultStoreTest, AFailingPartAbortsTheMultipartUpload) {
  REQUIRE_S3();
  auto store = open();
  auto file = m_dir.path() / "forty";
  test::write_test_file(file, 40 * k_mib);
  // Part 1 passes; part 2 meets 500 InternalError on every try.
  test::inject_fault(m_server, m_prefix,
                     "fail_status=500&fail_count=20&fail_match=partNumber&fail_skip=1");
  auto put = store->put_file(11, "bundle", file, "application/octet-stream");
  test::clear_faults(m_server, m_prefix);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().message,
            "S3 refused the upload of part 2 of " + key(11, "bundle") +
                " with HTTP 500 (InternalError: Injected by the test front.) after 4 attempts");
  EXPECT_EQ(test::front_stats(m_server, m_prefix).pending_uploads, 0) << "the upload was aborted";
  EXPECT_TRUE(test::read_back(m_server, key(11, "bundle")).missing);
}

TEST_F(S3ResultStoreTest, ABriefOutageDuringAMultipartUploadIsBridged) {
  REQUIRE_S3();
  auto store = open();
  auto file = m_dir.path() / "forty";
  auto sha = test::write_test_file(file, 40 * k_mib, 3);
  auto before = test::front_stats(m_server, m_prefix);
  test::inject_fault(m_server, m_prefix,
                     "reset_seconds=1&reset_after_bytes=" + std::to_string(20 * k_mib));
  auto put = store->put_file(12, "bundle", file, "application/octet-stream");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_GE(test::front_stats(m_server, m_prefix).resets - before.resets, 1);
  auto stored = test::read_back(m_server, key(12, "bundle"));
  EXPECT_EQ(stored.size, 40 * k_mib);
  EXPECT_EQ(stored.sha256, sha);

  // A download cut half-way resumes where it stopped, from the same version of the object.
  test::inject_fault(m_server, m_prefix,
                     "reset_seconds=1&reset_after_bytes=" + std::to_string(15 * k_mib));
  test::Sha256Stream hash;
  auto read = store->read(12, "bundle", 0, [&](std::string_view piece) {
    hash.add(piece);
    return true;
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(hash.hex(), sha);
  ASSERT_TRUE(store->remove_run(12));
}

TEST_F(S3ResultStoreTest, SlowDownIsRetried) {
  REQUIRE_S3();
  auto store = open();
  auto before = test::front_stats(m_server, m_prefix);
  test::inject_fault(m_server, m_prefix, "fail_status=503&fail_count=2");
  auto put = store->put_file(13, "console", write_file("c", "patience\n"), "text/plain");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(test::front_stats(m_server, m_prefix).injected - before.injected, 2);
  EXPECT_EQ(read_all(*store, 13, "console"), "patience\n");
  ASSERT_TRUE(store->remove_run(13));
}

TEST_F(S3ResultStoreTest, AStalledServerIsCutByTheLowSpeedLimit) {
  REQUIRE_S3();
  auto tuning = quick_tuning();
  tuning.attempts = 2;
  tuning.low_speed_time = 2s;
  auto store = open(credentials(), tuning);
  test::inject_fault(m_server, m_prefix, "stall_seconds=30");
  auto start = Clock::now();
  auto put = store->put_file(14, "console", write_file("c", "stalled\n"), "text/plain");
  auto took = Clock::now() - start;
  test::clear_faults(m_server, m_prefix);
  ASSERT_FALSE(put);
  EXPECT_NE(put.error().message.find("after 2 attempts"), std::string::npos) << put.error().message;
  EXPECT_LT(took, 10s);
}

TEST_F(S3ResultStoreTest, APresignedUrlWorksWithPlainCurlUntilItExpires) {
  REQUIRE_S3();
  auto store = open();
  ASSERT_TRUE(
      store->put_file(15, "report.txt", write_file("r", "for the browser\n"), "text/plain"));
  auto url = store->presigned_url(15, "report.txt", 60s);
  ASSERT_TRUE(url) << url.error().message;
  auto fetched = test::run_program({"curl", "-sS", "--globoff", *url});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(fetched.out, "for the browser\n");

  auto tampered = *url;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  auto refused = test::run_program({"curl", "-sS", "--globoff", "-w", "%{http_code}", tampered});
  EXPECT_NE(refused.out.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos)
      << refused.out;
  EXPECT_TRUE(refused.out.ends_with("403")) << refused.out;

  auto other = *url;
  other.replace(other.find("report.txt"), 10, "report.txx");
  auto elsewhere = test::run_program({"curl", "-sS", "--globoff", "-w", "%{http_code}", other});
  EXPECT_TRUE(elsewhere.out.ends_with("403"))
      << "a URL signs its own object only: " << elsewhere.out;

  auto short_lived = store->presigned_url(15, "report.txt", 1s);
  ASSERT_TRUE(short_lived);
  std::this_thread::sleep_for(2100ms);
  auto expired =
      test::run_program({"curl", "-sS", "--globoff", "-w", "%{http_code}", *short_lived});
  EXPECT_NE(expired.out.find("Request has expired"), std::string::npos) << expired.out;
  EXPECT_TRUE(expired.out.ends_with("403")) << expired.out;

  EXPECT_FALSE(store->presigned_url(15, "report.txt", 8 * 24h));
  ASSERT_TRUE(store->remove_run(15));
}

TEST_F(S3ResultStoreTest, ConcurrentCallsDoNotGetInEachOthersWay) {
  REQUIRE_S3();
  auto store = open();
  constexpr int k_threads = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(k_threads);
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      auto run = 100 + i;
      auto file = m_dir.path() / ("f" + std::to_string(i));
      std::ofstream(file) << "run " << run << "\n";
      for (int round = 0; round < 5; ++round) {
        auto put = store->put_file(run, "console", file, "text/plain");
        std::string bytes;
        auto read = store->read(run, "console", 0, [&](std::string_view piece) {
          bytes.append(piece);
          return true;
        });
        if (!put || !read || bytes != "run " + std::to_string(run) + "\n") {
          failures[static_cast<std::size_t>(i)] =
              put ? (read ? bytes : read.error().message) : put.error().message;
          return;
        }
      }
      if (auto removed = store->remove_run(run); !removed) {
        failures[static_cast<std::size_t>(i)] = removed.error().message;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < k_threads; ++i) {
    EXPECT_EQ(failures[static_cast<std::size_t>(i)], "") << "thread " << i;
  }
}

} // namespace
} // namespace cicd::results

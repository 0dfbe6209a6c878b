// The agent's checked file writes and its retried store writes (private parts of executor).
#include "executor/local_file.hpp"
#include "executor/run_steps.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace cicd::executor {
namespace {

TEST(LocalFileTest, WritesEverythingAndClosesCleanly) {
  auto path = std::filesystem::temp_directory_path() / "cicd-local-file-test.txt";
  auto file = LocalFile::create(path);
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->write("first "));
  EXPECT_TRUE(file->write("second"));
  EXPECT_TRUE(file->close());
  EXPECT_TRUE(file->close()); // twice is harmless
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "first second");
  std::filesystem::remove(path);
}

// /dev/full fails every write with ENOSPC, as a full disk does.
TEST(LocalFileTest, AFullDiskIsSaidAsDiskFullNamingTheFileAndItsDir) {
  auto file = LocalFile::create("/dev/full");
  ASSERT_TRUE(file);
  std::string megabyte(1024 * 1024, 'x');
  EXPECT_FALSE(file->write(megabyte)); // more than the buffer: the failure shows here
  EXPECT_FALSE(file->write("more"));   // and every later write is dropped
  auto closed = file->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::unavailable);
  EXPECT_EQ(closed.error().message, "disk full: the agent could not write full in /dev");
  ASSERT_TRUE(file->error());
  EXPECT_EQ(file->error()->message, closed.error().message);
}

TEST(LocalFileTest, AFullDiskMetOnlyWhenFlushingIsStillReported) {
  auto file = LocalFile::create("/dev/full");
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->write("small")); // buffered
  auto closed = file->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().message, "disk full: the agent could not write full in /dev");
}

TEST(LocalFileTest, AFileThatCannotBeCreatedSaysWhy) {
  auto file = LocalFile::create("/nonexistent-cicd-dir/console.log");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message, "the agent could not create /nonexistent-cicd-dir/console.log: "
                                  "No such file or directory");
}

Result<void> unavailable() {
  return make_error(ErrorCode::unavailable, "the database is down");
}

TEST(RetryStoreWriteTest, RetriesWhileTheStoreIsUnavailableThenSucceeds) {
  int calls = 0;
  auto written = retry_store_write("test write", std::chrono::seconds(30), [&]() -> Result<void> {
    return ++calls < 3 ? unavailable() : Result<void>();
  });
  EXPECT_TRUE(written);
  EXPECT_EQ(calls, 3);
}

TEST(RetryStoreWriteTest, ALostLeaseEndsItAtOnce) {
  int calls = 0;
  auto written = retry_store_write("test write", std::chrono::seconds(30), [&]() -> Result<void> {
    ++calls;
    return make_error(ErrorCode::conflict, "not this agent's run any more");
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::conflict);
  EXPECT_EQ(calls, 1);
}

TEST(RetryStoreWriteTest, GivesUpWithTheLastErrorOncePatienceRunsOut) {
  int calls = 0;
  auto written = retry_store_write("test write", std::chrono::seconds(0), [&]() -> Result<void> {
    ++calls;
    return unavailable();
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "the database is down");
  EXPECT_EQ(calls, 1);
}

} // namespace
} // namespace cicd::executor

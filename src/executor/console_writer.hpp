#pragma once
// The console of one run: masks secrets, appends everything to a local file (stored whole at
// the end) and sends sequenced, size-capped chunks to the store at least every second for the
// live view. Memory stays bounded whatever the job prints, and so does the console: past
// `limit_bytes` of output it writes a marker line, stores no more of the job's output and
// records the run as consoleTruncated (cicd's own notes still go in).

#include "local_file.hpp"

#include "cicd/executor/secret_masker.hpp"
#include "cicd/store/store.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace cicd::executor {

// Thread safety: all methods may be called from any thread (the log reader writes, the
// heartbeat flushes).
class ConsoleWriter {
public:
  ConsoleWriter(store::Store& store, std::int64_t run_id, std::string lease,
                const std::filesystem::path& file, SecretMasker masker, std::int64_t limit_bytes);
  ~ConsoleWriter();
  ConsoleWriter(const ConsoleWriter&) = delete;
  ConsoleWriter& operator=(const ConsoleWriter&) = delete;

  void write(std::string_view output);
  // A line of cicd's own ("[cicd] pulling image x"), so the console tells what happened.
  void note(std::string_view line);
  void flush_if_due();
  // Flushes what the masker held back and the last chunk; the file is complete after this.
  void close();

  const std::filesystem::path& file() const { return m_file.path(); }
  // True once the store refused a chunk because the run is no longer ours.
  bool lease_lost() const;
  // Set once the console file could not be written (a full disk): the run cannot be kept.
  std::optional<Error> file_error() const;

private:
  void append_locked(std::string_view masked);
  // The part of the job's output that fits under the limit; marks the console truncated
  // when it does not all fit.
  std::string_view within_limit_locked(std::string_view masked);
  void record_truncation_locked();
  void flush_locked();

  static constexpr std::size_t k_chunk_bytes = 256 * 1024;
  static constexpr std::size_t k_max_unsent_bytes = 4 * 1024 * 1024;

  store::Store& m_store;
  std::int64_t m_run_id;
  std::string m_lease;
  mutable std::mutex m_mutex;
  SecretMasker m_masker;
  LocalFile m_file;
  std::string m_unsent;
  std::int64_t m_limit_bytes;
  std::int64_t m_output_bytes = 0; // of the job's output written so far
  bool m_truncated = false;
  bool m_truncation_recorded = false;
  std::int64_t m_next_seq = 0;
  std::int64_t m_sent_bytes = 0; // byte offset of m_unsent's first byte
  std::chrono::steady_clock::time_point m_last_flush = std::chrono::steady_clock::now();
  // After the store failed, chunks wait for the next periodic flush instead of holding up
  // every write (and so the job's output) with another attempt.
  bool m_store_failing = false;
  bool m_lease_lost = false;
  bool m_closed = false;
};

} // namespace cicd::executor

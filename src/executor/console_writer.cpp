#include "console_writer.hpp"

#include "cicd/core/log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cicd::executor {

ConsoleWriter::ConsoleWriter(store::Store& store, std::int64_t run_id, std::string lease,
                             const std::filesystem::path& file, SecretMasker masker,
                             std::int64_t limit_bytes)
    : m_store(store), m_run_id(run_id), m_lease(std::move(lease)), m_masker(std::move(masker)),
      m_file(LocalFile::create(file).value()), // throws ErrorException
      m_limit_bytes(limit_bytes) {}

ConsoleWriter::~ConsoleWriter() = default;

void ConsoleWriter::write(std::string_view output) {
  std::lock_guard lock(m_mutex);
  if (m_closed) {
    return;
  }
  append_locked(within_limit_locked(m_masker.feed(output)));
}

void ConsoleWriter::note(std::string_view line) {
  std::lock_guard lock(m_mutex);
  if (m_closed) {
    return;
  }
  append_locked(m_masker.feed(std::string("[cicd] ") + std::string(line) + "\n"));
}

void ConsoleWriter::flush_if_due() {
  std::lock_guard lock(m_mutex);
  if (std::chrono::steady_clock::now() - m_last_flush >= std::chrono::seconds(1)) {
    flush_locked();
  }
}

void ConsoleWriter::close() {
  std::lock_guard lock(m_mutex);
  if (m_closed) {
    return;
  }
  append_locked(within_limit_locked(m_masker.finish()));
  m_store_failing = false; // one last try
  flush_locked();
  if (m_truncated && !m_truncation_recorded) {
    record_truncation_locked();
  }
  m_file.close(); // a failure is kept in file_error()
  m_closed = true;
}

bool ConsoleWriter::lease_lost() const {
  std::lock_guard lock(m_mutex);
  return m_lease_lost;
}

std::optional<Error> ConsoleWriter::file_error() const {
  std::lock_guard lock(m_mutex);
  return m_file.error();
}

std::string_view ConsoleWriter::within_limit_locked(std::string_view masked) {
  if (m_truncated) {
    return {};
  }
  auto room = m_limit_bytes - m_output_bytes;
  if (static_cast<std::int64_t>(masked.size()) <= room) {
    m_output_bytes += static_cast<std::int64_t>(masked.size());
    return masked;
  }
  // Cut at a character boundary, never inside a UTF-8 sequence.
  auto keep = static_cast<std::size_t>(std::max<std::int64_t>(room, 0));
  while (keep > 0 && (static_cast<unsigned char>(masked[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  append_locked(masked.substr(0, keep));
  m_output_bytes += static_cast<std::int64_t>(keep);
  m_truncated = true;
  append_locked(fmt::format("\n[cicd] the console reached its limit of {} bytes: the job's "
                            "further output is not stored (the job keeps running; the limit is "
                            "the consoleLimitMiB setting)\n",
                            m_limit_bytes));
  record_truncation_locked();
  return {};
}

void ConsoleWriter::record_truncation_locked() {
  auto marked = m_store.mark_console_truncated(m_run_id, m_lease);
  m_truncation_recorded = static_cast<bool>(marked);
  if (!marked) {
    log::warn("run {}: could not record that its console was truncated (tried again at the "
              "end): {}",
              m_run_id, marked.error().message);
  }
}

void ConsoleWriter::append_locked(std::string_view masked) {
  if (masked.empty()) {
    return;
  }
  m_file.write(masked);
  m_unsent.append(masked);
  if (m_unsent.size() > k_max_unsent_bytes) {
    // The store has been refusing chunks for a while: drop the oldest part from the live
    // view. The file keeps everything and is stored whole at the end.
    auto dropped = m_unsent.size() - k_max_unsent_bytes;
    m_unsent.erase(0, dropped);
    m_sent_bytes += static_cast<std::int64_t>(dropped);
  }
  if (m_unsent.size() >= k_chunk_bytes && !m_store_failing) {
    flush_locked();
  }
}

void ConsoleWriter::flush_locked() {
  m_last_flush = std::chrono::steady_clock::now();
  while (!m_unsent.empty() && !m_lease_lost) {
    auto size = std::min(m_unsent.size(), k_chunk_bytes);
    auto appended = m_store.append_console(m_run_id, m_lease, m_next_seq, m_sent_bytes,
                                           std::string_view(m_unsent).substr(0, size));
    if (!appended) {
      if (appended.error().code == ErrorCode::conflict) {
        m_lease_lost = true;
      } else {
        m_store_failing = true;
        log::warn("run {}: console chunk not stored yet: {}", m_run_id, appended.error().message);
      }
      return;
    }
    m_store_failing = false;
    ++m_next_seq;
    m_sent_bytes += static_cast<std::int64_t>(size);
    m_unsent.erase(0, size);
  }
}

} // namespace cicd::executor

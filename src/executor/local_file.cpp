#include "local_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace cicd::executor {

namespace {

Error file_error(const std::filesystem::path& path, int error_number, std::string_view doing) {
  if (error_number == ENOSPC || error_number == EDQUOT) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("disk full: the agent could not {} {} in {}", doing,
                                  path.filename().string(), path.parent_path().string()));
  }
  return make_error(ErrorCode::unavailable,
                    fmt::format("the agent could not {} {}: {}", doing, path.string(),
                                std::strerror(error_number)));
}

} // namespace

Result<LocalFile> LocalFile::create(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return file_error(path, errno, "create");
  }
  return LocalFile(path, file);
}

LocalFile::LocalFile(std::filesystem::path path, std::FILE* file)
    : m_path(std::move(path)), m_file(file) {}

LocalFile::LocalFile(LocalFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_file(std::exchange(other.m_file, nullptr)),
      m_error(std::move(other.m_error)) {}

LocalFile::~LocalFile() {
  if (m_file != nullptr) {
    std::fclose(m_file);
  }
}

bool LocalFile::write(std::string_view bytes) {
  if (m_error || m_file == nullptr) {
    return false;
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), m_file) != bytes.size()) {
    fail(errno, "write");
    return false;
  }
  return true;
}

Result<void> LocalFile::close() {
  if (m_file != nullptr) {
    // Buffered bytes meet a full disk here, at the latest.
    if (std::fflush(m_file) != 0) {
      fail(errno, "write");
    }
    if (std::fclose(m_file) != 0) {
      fail(errno, "write");
    }
    m_file = nullptr;
  }
  if (m_error) {
    return *m_error;
  }
  return {};
}

void LocalFile::fail(int error_number, std::string_view doing) {
  if (!m_error) {
    m_error = file_error(m_path, error_number, doing);
  }
}

} // namespace cicd::executor

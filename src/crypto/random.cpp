#include "cicd/crypto/random.hpp"

#include "cicd/core/error.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>

namespace cicd::crypto {

constexpr std::size_t k_max_key_file_size = 64 * 1024;

namespace {

// Closes the descriptor on every way out of write_new_key_file.
class OpenFile {
public:
  explicit OpenFile(int fd) : m_fd(fd) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }
  // Returns close()'s errno, or 0: a failed close can mean the data never reached the disk.
  int close() {
    int fd = m_fd;
    m_fd = -1;
    return ::close(fd) == 0 ? 0 : errno;
  }

private:
  int m_fd;
};

// Removes the temporary file unless it was released after a successful link.
class TemporaryFile {
public:
  explicit TemporaryFile(std::filesystem::path path) : m_path(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() { ::unlink(m_path.c_str()); }
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

[[noreturn]] void throw_write_failure(const std::filesystem::path& file, const char* step,
                                      int error) {
  throw Fatal("cannot write the key file " + file.string() + " (" + step +
              "): " + std::generic_category().message(error) +
              "; check that its directory exists and is writable by cicd");
}

void write_all(int fd, std::string_view content, const std::filesystem::path& file) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_write_failure(file, "write", errno);
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Makes `temporary` appear as `file` unless `file` exists. Returns false when it exists.
bool publish_without_replacing(const std::filesystem::path& temporary,
                               const std::filesystem::path& file) {
  if (::link(temporary.c_str(), file.c_str()) == 0) {
    return true;
  }
  int error = errno;
  // Some file systems (vfat, some FUSE mounts) have no hard links; rename without replacing
  // gives the same guarantee there.
  if (error == EPERM || error == EOPNOTSUPP || error == ENOSYS) {
    if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, file.c_str(), RENAME_NOREPLACE) == 0) {
      return true;
    }
    error = errno;
  }
  if (error == EEXIST) {
    return false;
  }
  throw_write_failure(file, "link", error);
}

} // namespace

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  std::size_t done = 0;
  while (done < count) {
    int chunk = static_cast<int>(std::min<std::size_t>(count - done, INT_MAX));
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data() + done), chunk) != 1) {
      ERR_clear_error();
      throw ErrorException(make_error(
          ErrorCode::internal, "the system's random number generator failed (OpenSSL RAND_bytes)"));
    }
    done += static_cast<std::size_t>(chunk);
  }
  return bytes;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  // Console chunks go through here: written in place, without a capacity check per digit.
  std::string text(bytes.size() * 2, '\0');
  char* out = text.data();
  for (char byte : bytes) {
    auto value = static_cast<unsigned char>(byte);
    *out++ = k_digits[value >> 4];
    *out++ = k_digits[value & 0x0f];
  }
  return text;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<std::string> from_hex(std::string_view text) {
  const auto& digit = hex_digit_value;
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int high = digit(text[i]);
    int low = digit(text[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::string read_key_file(const std::filesystem::path& file, std::string_view what) {
  auto fail = [&](int error) {
    return Fatal("cannot read the " + std::string(what) + " file " + file.string() + ": " +
                 std::generic_category().message(error) +
                 "; check the path and that cicd may read it");
  };
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw fail(errno);
  }
  std::string text;
  text.reserve(k_max_key_file_size); // no reallocation leaves stray copies of the key behind
  char chunk[4096];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      int error = errno;
      ::close(fd);
      OPENSSL_cleanse(text.data(), text.size());
      throw fail(error);
    }
    if (got == 0) {
      break;
    }
    // A key file is tiny; anything larger is a wrong path (or /dev/zero), not a key.
    if (text.size() + static_cast<std::size_t>(got) > k_max_key_file_size) {
      ::close(fd);
      OPENSSL_cleanse(text.data(), text.size());
      throw fail(EFBIG);
    }
    text.append(chunk, static_cast<std::size_t>(got));
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  ::close(fd);
  return text;
}

void write_new_key_file(const std::filesystem::path& file, std::string_view content) {
  std::filesystem::path directory = file.parent_path();
  if (directory.empty()) {
    directory = ".";
  }
  // The key is complete and 0600 before it becomes visible under its name, so a crash or a
  // concurrent reader never sees a partial or world-readable key.
  TemporaryFile temporary(
      directory / ("." + file.filename().string() + "." + to_hex(random_bytes(8)) + ".tmp"));
  OpenFile out(
      ::open(temporary.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    throw_write_failure(file, "create", errno);
  }
  // The umask can only remove bits from 0600, but make the mode explicit anyway.
  if (::fchmod(out.get(), 0600) != 0) {
    throw_write_failure(file, "chmod", errno);
  }
  write_all(out.get(), content, file);
  if (::fsync(out.get()) != 0) {
    throw_write_failure(file, "fsync", errno);
  }
  if (int error = out.close(); error != 0) {
    throw_write_failure(file, "close", error);
  }
  if (!publish_without_replacing(temporary.path(), file)) {
    return; // an existing key is never overwritten
  }
  // Persist the new directory entry; a failure here leaves a complete key, so it is ignored.
  OpenFile directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() >= 0) {
    ::fsync(directory_fd.get());
  }
}

} // namespace cicd::crypto

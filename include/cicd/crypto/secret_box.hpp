#pragma once
// Authenticated encryption of job secrets at rest: AES-256-GCM under a key file the operator
// controls. Each sealed value is bound to a context string (e.g. "job-name/SECRET_KEY"), so a
// ciphertext copied to another row does not open there.

#include "cicd/core/error.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace cicd::crypto {

// Thread safety: immutable after construction; seal() and open() may run concurrently.
class SecretBox {
public:
  // Loads a key file holding 64 hex digits (32 bytes; trailing whitespace allowed).
  // Throws Fatal naming the file and what is wrong with it.
  static SecretBox load(const std::filesystem::path& file);
  static SecretBox from_key(const std::array<unsigned char, 32>& key);

  // Writes a new random key to `file` (mode 0600) unless it already exists.
  static void create_key_file_if_absent(const std::filesystem::path& file);

  // A short public identifier of the key (hex, 16 chars) used to detect that the store was
  // set up with a different key; reveals nothing useful about the key itself.
  const std::string& fingerprint() const { return m_fingerprint; }

  // Returns version byte || 12-byte random nonce || ciphertext || 16-byte tag.
  std::string seal(std::string_view plaintext, std::string_view context) const;

  // ErrorCode::internal with a clear message when the value was sealed under another key or
  // context, or was altered.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;

private:
  explicit SecretBox(const std::array<unsigned char, 32>& key);
  std::array<unsigned char, 32> m_key{};
  std::string m_fingerprint;
};

} // namespace cicd::crypto

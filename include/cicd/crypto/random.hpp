#pragma once
// Cryptographically secure random bytes (OpenSSL RAND_bytes) and a writer for new key files.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cicd::crypto {

std::string random_bytes(std::size_t count);
std::string to_hex(std::string_view bytes);
// The value of one hex digit (either case), or -1 when `c` is not one.
int hex_digit_value(char c);
// The bytes of lowercase or uppercase hex text; nullopt when it is not hex.
std::optional<std::string> from_hex(std::string_view text);

// Reads a key file whole (at most 64 KiB: anything larger is a wrong path, not a key),
// leaving no stray copies of it in memory. Throws Fatal naming the file and `what` it is
// ("token key", "secrets key").
std::string read_key_file(const std::filesystem::path& file, std::string_view what);

// Creates `file` with `content` and mode 0600, atomically, only if it does not exist yet
// (an existing key is never overwritten). Throws Fatal when the file cannot be written.
void write_new_key_file(const std::filesystem::path& file, std::string_view content);

} // namespace cicd::crypto

#include "base64url.hpp"

#include <array>
#include <cstdint>

namespace cicd::auth {
namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t k_invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(k_invalid);
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> k_decode_table = make_decode_table();

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16 |
                          static_cast<unsigned char>(bytes[i + 1]) << 8 |
                          static_cast<unsigned char>(bytes[i + 2]);
    text += k_alphabet[group >> 18 & 0x3f];
    text += k_alphabet[group >> 12 & 0x3f];
    text += k_alphabet[group >> 6 & 0x3f];
    text += k_alphabet[group & 0x3f];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    text += k_alphabet[group >> 18 & 0x3f];
    text += k_alphabet[group >> 12 & 0x3f];
  } else if (rest == 2) {
    std::uint32_t group =
        static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    text += k_alphabet[group >> 18 & 0x3f];
    text += k_alphabet[group >> 12 & 0x3f];
    text += k_alphabet[group >> 6 & 0x3f];
  }
  return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    std::uint8_t value = k_decode_table[static_cast<unsigned char>(c)];
    if (value == k_invalid) {
      return std::nullopt;
    }
    buffer = (buffer << 6 | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>(buffer >> bits & 0xff);
    }
  }
  // Leftover bits must be zero, or two different texts would decode to the same bytes.
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return bytes;
}

} // namespace cicd::auth

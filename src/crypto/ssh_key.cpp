#include "cicd/crypto/ssh_key.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <memory>
#include <string_view>

namespace cicd::crypto {
namespace {

constexpr std::string_view k_key_type = "ssh-ed25519";
constexpr std::size_t k_ed25519_size = 32;
// OpenSSH writes its private key file as base64 lines of 70 characters.
constexpr std::size_t k_line_width = 70;
// Without a cipher, OpenSSH pads the private section to a multiple of 8 bytes.
constexpr std::size_t k_block_size = 8;

// A byte buffer that holds key material on its way to text: its capacity is reserved up front,
// so appending never leaves a stray copy behind, and its bytes are wiped on destruction.
class SecretBytes {
public:
  explicit SecretBytes(std::size_t capacity) { m_bytes.reserve(capacity); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { OPENSSL_cleanse(m_bytes.data(), m_bytes.size()); }

  // The SSH wire format (RFC 4251): a big-endian uint32 and a length-prefixed string.
  void append_uint32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      m_bytes += static_cast<char>((value >> shift) & 0xff);
    }
  }
  void append_string(std::string_view text) {
    append_uint32(static_cast<std::uint32_t>(text.size()));
    m_bytes.append(text);
  }
  void append_raw(std::string_view bytes) { m_bytes.append(bytes); }
  void append_byte(unsigned char byte) { m_bytes += static_cast<char>(byte); }

  std::string_view view() const { return m_bytes; }
  std::size_t size() const { return m_bytes.size(); }
  char* data() { return m_bytes.data(); }
  void resize(std::size_t size) { m_bytes.resize(size); }

private:
  std::string m_bytes;
};

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

Error openssl_failure(const char* step) {
  unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  ERR_clear_error();
  return make_error(ErrorCode::internal,
                    std::string("making an SSH key failed (OpenSSL ") + step + "): " + reason);
}

// Base64 with padding, no line breaks, into `out` (whose capacity must suffice).
void append_base64(std::string_view bytes, SecretBytes& out) {
  std::size_t start = out.size();
  out.resize(start + 4 * ((bytes.size() + 2) / 3) + 1); // EVP_EncodeBlock adds a NUL
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(start + static_cast<std::size_t>(written));
}

std::string base64(std::string_view bytes) {
  SecretBytes text(4 * ((bytes.size() + 2) / 3) + 1);
  append_base64(bytes, text);
  return std::string(text.view());
}

// The public key blob: string "ssh-ed25519", string key.
std::string public_blob(std::string_view public_key) {
  SecretBytes blob(64);
  blob.append_string(k_key_type);
  blob.append_string(public_key);
  return std::string(blob.view());
}

// PROTOCOL.key of OpenSSH: magic, cipher and KDF "none", one public key, then the private
// section (two equal check ints, the key, its comment, padding 1, 2, 3, …).
std::string openssh_private_key(std::string_view seed, std::string_view public_key,
                                const std::string& comment, std::uint32_t check) {
  std::size_t capacity = 256 + comment.size();
  SecretBytes section(capacity);
  section.append_uint32(check);
  section.append_uint32(check);
  section.append_string(k_key_type);
  section.append_string(public_key);
  // The "private key" of OpenSSH's ed25519 is the seed followed by the public key.
  section.append_uint32(static_cast<std::uint32_t>(seed.size() + public_key.size()));
  section.append_raw(seed);
  section.append_raw(public_key);
  section.append_string(comment);
  for (unsigned char pad = 1; section.size() % k_block_size != 0; ++pad) {
    section.append_byte(pad);
  }

  SecretBytes file(capacity + 128);
  file.append_raw(std::string_view("openssh-key-v1\0", 15));
  file.append_string("none");
  file.append_string("none");
  file.append_string("");
  file.append_uint32(1);
  file.append_string(public_blob(public_key));
  file.append_string(section.view());

  SecretBytes encoded(4 * (file.size() + 2) / 3 + 8);
  append_base64(file.view(), encoded);

  std::string text;
  text.reserve(encoded.size() + encoded.size() / k_line_width + 80);
  text += "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t at = 0; at < encoded.size(); at += k_line_width) {
    text.append(encoded.view().substr(at, k_line_width));
    text += '\n';
  }
  text += "-----END OPENSSH PRIVATE KEY-----\n";
  return text;
}

std::string_view next_word(std::string_view& line) {
  auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  auto end = line.find_first_of(" \t\r\n");
  auto word = line.substr(0, end);
  line.remove_prefix(word.size());
  return word;
}

// Decodes standard base64 with padding into `bytes`; false when it is malformed.
bool decode_base64(std::string_view text, std::string& bytes) {
  if (text.empty() || text.size() % 4 != 0) {
    return false;
  }
  bytes.resize(text.size() / 4 * 3);
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0) {
    return false;
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  bytes.resize(static_cast<std::size_t>(written) - padding);
  return true;
}

// The key type a public key blob starts with (its first SSH string), or "" when malformed.
std::string_view blob_key_type(std::string_view blob) {
  if (blob.size() < 4) {
    return {};
  }
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) {
    length = (length << 8) | static_cast<unsigned char>(blob[i]);
  }
  if (length > blob.size() - 4) {
    return {};
  }
  return blob.substr(4, length);
}

} // namespace

Result<SshKeyPair> generate_ssh_key(const std::string& comment) {
  if (comment.find_first_of("\r\n") != std::string::npos) {
    return make_error(ErrorCode::invalid_input, "an SSH key comment must be a single line");
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) {
    return openssl_failure("EVP_PKEY_Q_keygen");
  }
  unsigned char seed[k_ed25519_size];
  unsigned char public_key[k_ed25519_size];
  std::size_t seed_size = sizeof seed;
  std::size_t public_size = sizeof public_key;
  if (EVP_PKEY_get_raw_private_key(key.get(), seed, &seed_size) != 1 ||
      EVP_PKEY_get_raw_public_key(key.get(), public_key, &public_size) != 1 ||
      seed_size != k_ed25519_size || public_size != k_ed25519_size) {
    OPENSSL_cleanse(seed, sizeof seed);
    return openssl_failure("EVP_PKEY_get_raw_*_key");
  }
  std::uint32_t check = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check) != 1) {
    OPENSSL_cleanse(seed, sizeof seed);
    return openssl_failure("RAND_bytes");
  }
  std::string_view public_view(reinterpret_cast<const char*>(public_key), public_size);
  SshKeyPair pair;
  pair.private_key = openssh_private_key(std::string_view(reinterpret_cast<char*>(seed), seed_size),
                                         public_view, comment, check);
  OPENSSL_cleanse(seed, sizeof seed);
  pair.public_key = std::string(k_key_type) + " " + base64(public_blob(public_view));
  if (!comment.empty()) {
    pair.public_key += " " + comment;
  }
  return pair;
}

Result<std::string> ssh_fingerprint(const std::string& public_key) {
  auto invalid = [&] {
    return make_error(ErrorCode::invalid_input,
                      "not an SSH public key line (\"ssh-ed25519 AAAA… comment\"): " +
                          public_key.substr(0, 80));
  };
  std::string_view rest = public_key;
  auto type = next_word(rest);
  auto encoded = next_word(rest);
  std::string blob;
  if (type.empty() || !decode_base64(encoded, blob) || blob_key_type(blob) != type) {
    return invalid();
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(blob.data()), blob.size(), digest);
  auto text = base64(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  // ssh-keygen prints the fingerprint without base64 padding.
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  return "SHA256:" + text;
}

} // namespace cicd::crypto

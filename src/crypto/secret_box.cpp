#include "cicd/crypto/secret_box.hpp"

#include "cicd/crypto/random.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>

namespace cicd::crypto {
namespace {

constexpr unsigned char k_version = 0x01;
constexpr std::size_t k_nonce_size = 12;
constexpr std::size_t k_tag_size = 16;
constexpr std::size_t k_overhead = 1 + k_nonce_size + k_tag_size;
// OpenSSL takes int lengths; longer inputs go through in pieces of this size.
constexpr std::size_t k_max_chunk = std::size_t{1} << 30;
constexpr std::string_view k_fingerprint_label = "cicd-secret-key-fingerprint";
constexpr std::string_view k_open_failure =
    "secret could not be decrypted: the secrets key differs from the one it was stored with, "
    "or the value was altered";

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// Wipes a string that held key material before its memory is released.
class WipeOnExit {
public:
  explicit WipeOnExit(std::string& text) : m_text(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { OPENSSL_cleanse(m_text.data(), m_text.size()); }

private:
  std::string& m_text;
};

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Feeds `input` to the cipher; with `output` null it is additional authenticated data.
bool cipher_update(EVP_CIPHER_CTX* context, unsigned char* output, std::string_view input) {
  while (!input.empty()) {
    std::size_t chunk = std::min(input.size(), k_max_chunk);
    int written = 0;
    if (EVP_CipherUpdate(context, output, &written, bytes_of(input), static_cast<int>(chunk)) !=
        1) {
      return false;
    }
    if (output != nullptr) {
      output += written;
    }
    input.remove_prefix(chunk);
  }
  return true;
}

[[noreturn]] void throw_seal_failure() {
  ERR_clear_error();
  throw ErrorException(make_error(ErrorCode::internal, "AES-256-GCM encryption failed in OpenSSL"));
}

} // namespace

SecretBox SecretBox::load(const std::filesystem::path& file) {
  std::string text = read_key_file(file, "secrets key");
  WipeOnExit wipe_text(text);
  std::size_t end = text.find_last_not_of(" \t\r\n\v\f");
  std::string_view digits(text.data(), end == std::string::npos ? 0 : end + 1);

  const std::string expected =
      "the secrets key file " + file.string() + " must hold exactly 64 hex digits (a 32-byte key)";
  const std::string restore =
      "; restore the original file, since secrets stored under one key cannot be read with "
      "another";
  if (digits.size() != 64) {
    throw Fatal(expected + " but holds " + std::to_string(digits.size()) + " characters" + restore);
  }
  std::array<unsigned char, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    int high = hex_digit_value(digits[2 * i]);
    int low = hex_digit_value(digits[2 * i + 1]);
    if (high < 0 || low < 0) {
      OPENSSL_cleanse(key.data(), key.size());
      throw Fatal(expected + " but contains other characters" + restore);
    }
    key[i] = static_cast<unsigned char>(high << 4 | low);
  }
  SecretBox box(key);
  OPENSSL_cleanse(key.data(), key.size());
  return box;
}

SecretBox SecretBox::from_key(const std::array<unsigned char, 32>& key) {
  return SecretBox(key);
}

void SecretBox::create_key_file_if_absent(const std::filesystem::path& file) {
  std::string key = random_bytes(32);
  WipeOnExit wipe_key(key);
  std::string text = to_hex(key) + "\n";
  WipeOnExit wipe_text(text);
  write_new_key_file(file, text);
}

SecretBox::SecretBox(const std::array<unsigned char, 32>& key) : m_key(key) {
  // A label keeps the fingerprint from being a bare hash of the key that might be reused
  // elsewhere; 64 bits are plenty to tell two keys apart.
  std::string input(k_fingerprint_label);
  WipeOnExit wipe_input(input);
  input.append(reinterpret_cast<const char*>(m_key.data()), m_key.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    throw ErrorException(make_error(ErrorCode::internal, "SHA-256 failed in OpenSSL"));
  }
  m_fingerprint = to_hex(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view context) const {
  std::string nonce = random_bytes(k_nonce_size);
  std::string sealed(k_overhead + plaintext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  out[0] = k_version;
  std::copy(nonce.begin(), nonce.end(), sealed.begin() + 1);
  unsigned char* ciphertext = out + 1 + k_nonce_size;

  CipherContext cipher(EVP_CIPHER_CTX_new());
  int final_size = 0;
  if (!cipher ||
      EVP_EncryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, m_key.data(), bytes_of(nonce)) !=
          1 ||
      !cipher_update(cipher.get(), nullptr, context) ||
      !cipher_update(cipher.get(), ciphertext, plaintext) ||
      EVP_EncryptFinal_ex(cipher.get(), ciphertext + plaintext.size(), &final_size) != 1 ||
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size),
                          ciphertext + plaintext.size()) != 1) {
    throw_seal_failure();
  }
  return sealed;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
  // One message for every failure: telling the causes apart would only help someone probing.
  auto failure = [] {
    ERR_clear_error();
    return make_error(ErrorCode::internal, std::string(k_open_failure));
  };
  if (sealed.size() < k_overhead || static_cast<unsigned char>(sealed[0]) != k_version) {
    return failure();
  }
  std::string_view nonce = sealed.substr(1, k_nonce_size);
  std::string_view ciphertext = sealed.substr(1 + k_nonce_size, sealed.size() - k_overhead);
  std::string_view tag = sealed.substr(sealed.size() - k_tag_size);
  std::string tag_copy(tag); // EVP_CTRL_GCM_SET_TAG takes a non-const pointer

  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherContext cipher(EVP_CIPHER_CTX_new());
  int final_size = 0;
  if (!cipher ||
      EVP_DecryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, m_key.data(), bytes_of(nonce)) !=
          1 ||
      !cipher_update(cipher.get(), nullptr, context) ||
      !cipher_update(cipher.get(), out, ciphertext) ||
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size),
                          tag_copy.data()) != 1 ||
      EVP_DecryptFinal_ex(cipher.get(), out + ciphertext.size(), &final_size) != 1) {
    // The plaintext is unauthenticated; do not leave it lying around in freed memory.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return failure();
  }
  return plaintext;
}

} // namespace cicd::crypto

#include "cicd/crypto/secret_box.hpp"

#include "cicd/crypto/random.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace cicd::crypto {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_context = "deploy/AWS_SECRET_ACCESS_KEY";

std::array<unsigned char, 32> counting_key() {
  std::array<unsigned char, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<unsigned char>(i);
  }
  return key;
}

bool is_lower_hex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text(fs::file_size(file), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

void expect_not_opened(const Result<std::string>& result) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::internal);
  EXPECT_EQ(result.error().message,
            "secret could not be decrypted: the secrets key differs from the one it was stored "
            "with, or the value was altered");
}

class SecretBoxTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cicd-secret-box-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path write(const std::string& name, const std::string& content) {
    fs::path file = m_dir / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  fs::path m_dir;
};

TEST(Random, BytesAndHex) {
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(48).size(), 48u);
  EXPECT_NE(random_bytes(16), random_bytes(16));
  EXPECT_EQ(to_hex(std::string("\x00\x01\x7f\x80\xff", 5)), "00017f80ff");
  EXPECT_EQ(to_hex(""), "");
}

TEST_F(SecretBoxTest, SealThenOpenRoundTrips) {
  SecretBox box = SecretBox::from_key(counting_key());
  for (std::string plaintext : {std::string(), std::string("hunter2"),
                                std::string("nul\0inside", 10), std::string(100000, 'x')}) {
    std::string sealed = box.seal(plaintext, k_context);
    ASSERT_EQ(sealed.size(), 1 + 12 + plaintext.size() + 16);
    EXPECT_EQ(sealed[0], '\x01');
    if (plaintext.size() > 8) {
      EXPECT_EQ(sealed.find(plaintext), std::string::npos);
    }
    Result<std::string> opened = box.open(sealed, k_context);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(opened.value(), plaintext);
  }
}

TEST_F(SecretBoxTest, EachSealUsesAFreshNonce) {
  SecretBox box = SecretBox::from_key(counting_key());
  std::string first = box.seal("same value", k_context);
  std::string second = box.seal("same value", k_context);
  EXPECT_NE(first, second);
  EXPECT_NE(first.substr(1, 12), second.substr(1, 12));
}

TEST_F(SecretBoxTest, AnotherKeyCannotOpen) {
  std::array<unsigned char, 32> other_key = counting_key();
  other_key[31] ^= 0x01;
  std::string sealed = SecretBox::from_key(counting_key()).seal("hunter2", k_context);
  expect_not_opened(SecretBox::from_key(other_key).open(sealed, k_context));
}

TEST_F(SecretBoxTest, AnotherContextCannotOpen) {
  SecretBox box = SecretBox::from_key(counting_key());
  std::string sealed = box.seal("hunter2", k_context);
  expect_not_opened(box.open(sealed, "deploy/OTHER_SECRET"));
  expect_not_opened(box.open(sealed, ""));
  std::string no_context = box.seal("hunter2", "");
  expect_not_opened(box.open(no_context, k_context));
  EXPECT_EQ(box.open(no_context, "").value(), "hunter2");
}

TEST_F(SecretBoxTest, AnyFlippedBitIsDetected) {
  SecretBox box = SecretBox::from_key(counting_key());
  std::string sealed = box.seal("hunter2", k_context);
  for (std::size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string altered = sealed;
      altered[byte] = static_cast<char>(altered[byte] ^ (1 << bit));
      SCOPED_TRACE("byte " + std::to_string(byte) + " bit " + std::to_string(bit));
      expect_not_opened(box.open(altered, k_context));
    }
  }
}

TEST_F(SecretBoxTest, TruncatedOrExtendedValuesAreRefused) {
  SecretBox box = SecretBox::from_key(counting_key());
  std::string sealed = box.seal("hunter2", k_context);
  for (std::size_t size = 0; size < sealed.size(); ++size) {
    expect_not_opened(box.open(sealed.substr(0, size), k_context));
  }
  expect_not_opened(box.open(sealed + "x", k_context));
}

TEST_F(SecretBoxTest, LoadsAHexKeyFile) {
  std::string hex = to_hex(std::string(reinterpret_cast<const char*>(counting_key().data()), 32));
  SecretBox from_file = SecretBox::load(write("secrets.key", hex + "\n \t\r\n"));
  SecretBox from_upper = SecretBox::load(write("upper.key", "000102030405060708090A0B0C0D0E0F"
                                                            "101112131415161718191A1B1C1D1E1F"));
  SecretBox in_memory = SecretBox::from_key(counting_key());
  EXPECT_EQ(from_file.fingerprint(), in_memory.fingerprint());
  EXPECT_EQ(from_upper.fingerprint(), in_memory.fingerprint());
  EXPECT_EQ(in_memory.open(from_file.seal("hunter2", k_context), k_context).value(), "hunter2");
}

TEST_F(SecretBoxTest, BadKeyFilesAreFatal) {
  std::string hex(64, 'a');
  auto expect_fatal = [&](const fs::path& file) {
    try {
      SecretBox::load(file);
      ADD_FAILURE() << "loaded " << file;
    } catch (const Fatal& error) {
      std::string message = error.what();
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
      EXPECT_EQ(message.find(hex), std::string::npos) << "message echoes the key: " << message;
    }
  };
  expect_fatal(m_dir / "missing.key");
  expect_fatal(write("empty.key", ""));
  expect_fatal(write("short.key", hex.substr(0, 62) + "\n"));
  expect_fatal(write("long.key", hex + "aa\n"));
  expect_fatal(write("not-hex.key", hex.substr(0, 63) + "g"));
  expect_fatal(write("leading-space.key", " " + hex.substr(1)));
  expect_fatal(write("two-lines.key", hex + "\n" + hex + "\n"));
  expect_fatal(write("raw-bytes.key", std::string(32, '\x42')));
  fs::create_directory(m_dir / "directory.key");
  expect_fatal(m_dir / "directory.key");
}

TEST_F(SecretBoxTest, FingerprintIsStableAndTellsKeysApart) {
  std::array<unsigned char, 32> zero_key{};
  // Stored alongside the secrets, so its definition must never change.
  EXPECT_EQ(SecretBox::from_key(zero_key).fingerprint(), "e53d42eb16b97a02");
  EXPECT_EQ(SecretBox::from_key(counting_key()).fingerprint(), "14d733e182cfcf27");
  EXPECT_EQ(SecretBox::from_key(counting_key()).fingerprint(),
            SecretBox::from_key(counting_key()).fingerprint());
  std::array<unsigned char, 32> other_key = counting_key();
  other_key[0] ^= 0x80;
  EXPECT_NE(SecretBox::from_key(other_key).fingerprint(),
            SecretBox::from_key(counting_key()).fingerprint());
  std::string fingerprint = SecretBox::from_key(other_key).fingerprint();
  EXPECT_TRUE(fingerprint.size() == 16 && is_lower_hex(fingerprint)) << fingerprint;
}

TEST_F(SecretBoxTest, CreateKeyFileWritesAPrivateKeyOnce) {
  fs::path file = m_dir / "secrets.key";
  SecretBox::create_key_file_if_absent(file);

  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  std::string content = read_text(file);
  EXPECT_TRUE(content.size() == 65 && is_lower_hex(content.substr(0, 64)) && content[64] == '\n')
      << content;
  SecretBox box = SecretBox::load(file);
  std::string sealed = box.seal("hunter2", k_context);

  SecretBox::create_key_file_if_absent(file);
  EXPECT_EQ(read_text(file), content);
  EXPECT_EQ(SecretBox::load(file).open(sealed, k_context).value(), "hunter2");

  fs::path other = m_dir / "other.key";
  SecretBox::create_key_file_if_absent(other);
  EXPECT_NE(SecretBox::load(other).fingerprint(), box.fingerprint());

  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(m_dir)) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);

  EXPECT_THROW(SecretBox::create_key_file_if_absent(m_dir / "no-such-dir" / "secrets.key"), Fatal);
}

// A dangling symlink at the key's path is not followed: nothing is written through it.
TEST_F(SecretBoxTest, CreateKeyFileDoesNotWriteThroughASymlink) {
  fs::path target = m_dir / "target.key";
  fs::path link = m_dir / "secrets.key";
  fs::create_symlink(target, link);
  SecretBox::create_key_file_if_absent(link);
  EXPECT_FALSE(fs::exists(target));
}

} // namespace
} // namespace cicd::crypto

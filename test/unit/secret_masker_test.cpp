#include "cicd/executor/secret_masker.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::executor {
namespace {

// Feeds `pieces` one after the other, then finishes: the whole masked output.
std::string mask_pieces(const std::vector<std::string>& secrets,
                        const std::vector<std::string_view>& pieces) {
  SecretMasker masker(secrets);
  std::string out;
  for (auto piece : pieces) {
    out += masker.feed(piece);
  }
  return out + masker.finish();
}

std::string mask_whole(const std::vector<std::string>& secrets, std::string_view text) {
  return mask_pieces(secrets, {text});
}

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

TEST(SecretMasker, MasksEveryOccurrenceInOnePiece) {
  EXPECT_EQ(mask_whole({"hunter22"}, "pw=hunter22 again hunter22\n"), "pw=*** again ***\n");
}

TEST(SecretMasker, WithoutValuesPassesEverythingThroughAtOnce) {
  SecretMasker masker({});
  EXPECT_EQ(masker.feed("abc"), "abc");
  EXPECT_EQ(masker.feed(std::string_view("\0x\n", 3)), std::string_view("\0x\n", 3));
  EXPECT_EQ(masker.finish(), "");
}

TEST(SecretMasker, ValuesShorterThanFourBytesAreIgnored) {
  static_assert(k_min_secret_length == 4);
  SecretMasker masker({"abc", "x", ""});
  // Nothing to look for, so nothing is held back either.
  EXPECT_EQ(masker.feed("abc x abc"), "abc x abc");
  EXPECT_EQ(masker.finish(), "");
  EXPECT_EQ(mask_whole({"abc", "abcd"}, "abc abcd abcde"), "abc *** ***e");
}

TEST(SecretMasker, TextWithoutTheValueComesOutUnchanged) {
  EXPECT_EQ(mask_whole({"abcdefgh"}, "abcdefg abcdefXh bcdefgh\n"), "abcdefg abcdefXh bcdefgh\n");
}

TEST(SecretMasker, HoldsBackOnlyWhatCouldStartAForm) {
  // The longest form of "abcdefgh" is its base64 core, "YWJjZGVmZ2" (10 characters), so at
  // most 9 bytes stay behind.
  SecretMasker masker({"abcdefgh"});
  EXPECT_EQ(masker.feed("0123456789"), "0");
  EXPECT_EQ(masker.feed("abcd"), "1234");
  EXPECT_EQ(masker.feed("efgh!"), "56789");
  EXPECT_EQ(masker.finish(), "***!");
}

TEST(SecretMasker, AValueSplitAtEveryByteBoundaryIsMasked) {
  const std::string secret = "s3cr3t-value";
  const std::string text = "before " + secret + " after\n";
  const std::string expected = "before *** after\n";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    std::string_view whole(text);
    EXPECT_EQ(mask_pieces({secret}, {whole.substr(0, split), whole.substr(split)}), expected)
        << "split at byte " << split;
  }
}

TEST(SecretMasker, AValueSplitIntoThreePiecesAtEveryPairOfBoundariesIsMasked) {
  const std::string secret = "abcdefgh";
  const std::string text = "x" + secret + "y" + secret;
  const std::string expected = "x***y***";
  std::string_view whole(text);
  for (std::size_t first = 0; first <= text.size(); ++first) {
    for (std::size_t second = first; second <= text.size(); ++second) {
      EXPECT_EQ(mask_pieces({secret}, {whole.substr(0, first), whole.substr(first, second - first),
                                       whole.substr(second)}),
                expected)
          << "pieces end at " << first << " and " << second;
    }
  }
}

TEST(SecretMasker, ByteByByteFeedingMasksLikeOnePiece) {
  const std::vector<std::string> secrets = {"token-123", "pass", "longer-secret-value"};
  const std::string text =
      "pass token-123 xx longer-secret-value pas token-12 longer-secret-valu passpass\n";
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bytes.push_back(std::string_view(text).substr(i, 1));
  }
  const std::string expected = "*** *** xx *** pas token-12 longer-secret-valu ******\n";
  EXPECT_EQ(mask_whole(secrets, text), expected);
  EXPECT_EQ(mask_pieces(secrets, bytes), expected);
}

TEST(SecretMasker, TheLongestValueWinsWhereTwoStartAtTheSamePlace) {
  // Masking "abcd" first would leave "efgh" of the longer value in plain sight.
  EXPECT_EQ(mask_whole({"abcd", "abcdefgh"}, "[abcdefgh] [abcd]"), "[***] [***]");
  EXPECT_EQ(mask_whole({"abcdefgh", "abcd"}, "[abcdefgh] [abcd]"), "[***] [***]");
  // Also when the longer one is only complete in a later piece.
  EXPECT_EQ(mask_pieces({"abcd", "abcdefgh"}, {"[abcd", "efgh]"}), "[***]");
}

TEST(SecretMasker, OverlappingValuesNeverShowEitherValueWhole) {
  const std::vector<std::string> secrets = {"abcdef", "cdefghij"};
  const std::string text = "-abcdefghij-";
  std::string_view whole(text);
  for (std::size_t split = 0; split <= text.size(); ++split) {
    auto out = mask_pieces(secrets, {whole.substr(0, split), whole.substr(split)});
    EXPECT_EQ(out.find("abcdef"), std::string::npos) << out;
    EXPECT_EQ(out.find("cdefghij"), std::string::npos) << out;
    EXPECT_EQ(out, mask_whole(secrets, text)) << "split at byte " << split;
  }
}

TEST(SecretMasker, AValueAtTheVeryEndIsFlushedByFinish) {
  SecretMasker masker({"abcdefgh"});
  std::string out = masker.feed("the end: abcdefgh");
  EXPECT_EQ(out.find("abcdefgh"), std::string::npos);
  out += masker.finish();
  EXPECT_EQ(out, "the end: ***");
}

TEST(SecretMasker, APartialValueAtTheVeryEndIsFlushedUnmasked) {
  SecretMasker masker({"abcdefgh"});
  std::string out = masker.feed("almost abcdefg");
  out += masker.finish();
  EXPECT_EQ(out, "almost abcdefg");
}

TEST(SecretMasker, FinishWithNothingHeldBackReturnsNothing) {
  SecretMasker masker({"abcdefgh"});
  EXPECT_EQ(masker.finish(), "");
}

TEST(SecretMasker, AMultiLineValueIsMaskedLineByLine) {
  const std::vector<std::string> secrets = {"first-line-value\nsecond-line-value\n"};
  // Printed whole, one line at a time, or with other line endings.
  EXPECT_EQ(mask_whole(secrets, "first-line-value\nsecond-line-value\n"), "***\n***\n");
  EXPECT_EQ(mask_pieces(secrets, {"got: second-line-value", "\r\ngot: first-line-value\r\n"}),
            "got: ***\r\ngot: ***\r\n");
  EXPECT_EQ(mask_whole(secrets, "first-line-value second-line-value"), "*** ***");
}

TEST(SecretMasker, CarriageReturnsOfAMultiLineValueAreNotPartOfItsLines) {
  EXPECT_EQ(mask_whole({"line-one\r\nline-two"}, "line-one\nline-two\n"), "***\n***\n");
}

TEST(SecretMasker, ShortLinesOfAMultiLineValueAreIgnored) {
  // "ab" and the empty line would mask ordinary text; the long line is still masked.
  EXPECT_EQ(mask_whole({"ab\n\nlong-enough-line"}, "ab cd long-enough-line ab\n"),
            "ab cd *** ab\n");
}

TEST(SecretMasker, TenMegabytesWithFiveSecretsAreMaskedExactly) {
  const std::vector<std::string> secrets = {"alpha-SECRET-1", "bravo-2-x", "charlie-three-33",
                                            "delta", "echo-five-5555555555555"};
  // Filler is digits and newlines only, so neither a value nor "***" can appear in it by
  // chance.
  std::mt19937 random(20261127);
  std::string text;
  text.reserve(10 * 1024 * 1024 + 64);
  std::size_t inserted = 0;
  std::size_t secret_bytes = 0;
  while (text.size() < 10 * 1024 * 1024) {
    auto filler = random() % 2000;
    for (std::size_t i = 0; i < filler; ++i) {
      text += (i % 80 == 79) ? '\n' : static_cast<char>('0' + random() % 10);
    }
    const auto& secret = secrets[random() % secrets.size()];
    text += secret;
    secret_bytes += secret.size();
    ++inserted;
  }
  SecretMasker masker(secrets);
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    auto size = std::min<std::size_t>(1 + random() % 65536, text.size() - at);
    out += masker.feed(std::string_view(text).substr(at, size));
    at += size;
  }
  out += masker.finish();

  EXPECT_EQ(count_of(out, "***"), inserted);
  EXPECT_EQ(out.size(), text.size() - secret_bytes + 3 * inserted);
  for (const auto& secret : secrets) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret;
  }
}

} // namespace
} // namespace cicd::executor

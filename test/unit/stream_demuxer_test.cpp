#include "cicd/docker/client.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cicd::docker {
namespace {

using Piece = std::pair<OutputStream, std::string>;

constexpr auto k_out = OutputStream::stdout_stream;
constexpr auto k_err = OutputStream::stderr_stream;

// Docker's frame: [stream, 0, 0, 0, size as big-endian uint32] + payload.
std::string frame(unsigned char stream, std::string_view payload) {
  auto size = static_cast<std::uint32_t>(payload.size());
  std::string bytes{static_cast<char>(stream),
                    '\0',
                    '\0',
                    '\0',
                    static_cast<char>(size >> 24),
                    static_cast<char>((size >> 16) & 0xff),
                    static_cast<char>((size >> 8) & 0xff),
                    static_cast<char>(size & 0xff)};
  return bytes.append(payload);
}

// Feeds `parts` in order and returns what came out, adjacent pieces of one stream joined, so
// that results do not depend on where the input was cut.
std::vector<Piece> demux(const std::vector<std::string_view>& parts) {
  StreamDemuxer demuxer;
  std::vector<Piece> pieces;
  for (auto part : parts) {
    demuxer.feed(part, [&pieces](OutputStream stream, std::string_view payload) {
      EXPECT_FALSE(payload.empty()) << "the sink got an empty piece";
      if (!pieces.empty() && pieces.back().first == stream) {
        pieces.back().second.append(payload);
      } else {
        pieces.emplace_back(stream, std::string(payload));
      }
    });
  }
  return pieces;
}

const std::string k_mixed = frame(1, "out 1\n") + frame(2, "err 1\n") + frame(1, "") +
                            frame(1, "out 2\n") + frame(2, "") + frame(2, "err 2\n") +
                            frame(1, "out 3");
const std::vector<Piece> k_mixed_pieces{{k_out, "out 1\n"},
                                        {k_err, "err 1\n"},
                                        {k_out, "out 2\n"},
                                        {k_err, "err 2\n"},
                                        {k_out, "out 3"}};

TEST(StreamDemuxerTest, DecodesMixedStdoutAndStderrInOrder) {
  EXPECT_EQ(demux({k_mixed}), k_mixed_pieces);
}

TEST(StreamDemuxerTest, HandlesACutAtEveryByte) {
  std::string_view input = k_mixed;
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    EXPECT_EQ(demux({input.substr(0, cut), input.substr(cut)}), k_mixed_pieces) << "cut at " << cut;
  }
}

TEST(StreamDemuxerTest, HandlesTwoCutsAtEveryPairOfBytes) {
  std::string_view input = k_mixed;
  for (std::size_t first = 0; first <= input.size(); ++first) {
    for (std::size_t second = first; second <= input.size(); ++second) {
      EXPECT_EQ(demux({input.substr(0, first), input.substr(first, second - first),
                       input.substr(second)}),
                k_mixed_pieces)
          << "cuts at " << first << " and " << second;
    }
  }
}

TEST(StreamDemuxerTest, HandlesOneByteAtATime) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < k_mixed.size(); ++i) {
    bytes.push_back(std::string_view(k_mixed).substr(i, 1));
  }
  EXPECT_EQ(demux(bytes), k_mixed_pieces);
}

TEST(StreamDemuxerTest, ZeroLengthFramesProduceNothing) {
  auto input = frame(1, "") + frame(2, "") + frame(1, "");
  EXPECT_TRUE(demux({input}).empty());
  std::string_view view = input;
  for (std::size_t cut = 0; cut <= view.size(); ++cut) {
    EXPECT_TRUE(demux({view.substr(0, cut), view.substr(cut)}).empty()) << "cut at " << cut;
  }
}

TEST(StreamDemuxerTest, EmptyFeedsChangeNothing) {
  std::string_view input = k_mixed;
  EXPECT_EQ(demux({"", input.substr(0, 3), "", "", input.substr(3), ""}), k_mixed_pieces);
}

TEST(StreamDemuxerTest, DeliversALargeFrameAsItArrivesWithoutBufferingIt) {
  std::string payload(1'000'000, 'x');
  auto input = frame(2, payload) + frame(1, "after");
  StreamDemuxer demuxer;
  std::size_t stderr_bytes = 0;
  std::size_t largest_piece = 0;
  std::string out;
  constexpr std::size_t k_part = 4096;
  for (std::size_t offset = 0; offset < input.size(); offset += k_part) {
    std::size_t before = stderr_bytes;
    demuxer.feed(std::string_view(input).substr(offset, k_part),
                 [&](OutputStream stream, std::string_view piece) {
                   largest_piece = std::max(largest_piece, piece.size());
                   if (stream == k_err) {
                     stderr_bytes += piece.size();
                   } else {
                     out.append(piece);
                   }
                 });
    if (offset + k_part < payload.size()) {
      // Every byte of the payload fed so far has come out already.
      EXPECT_EQ(stderr_bytes, std::min(offset + k_part, payload.size() + 8) - 8) << offset;
      EXPECT_GT(stderr_bytes, before);
    }
  }
  EXPECT_EQ(stderr_bytes, payload.size());
  EXPECT_EQ(out, "after");
  EXPECT_LE(largest_piece, k_part);
}

TEST(StreamDemuxerTest, ReadsTheSizeAsBigEndian) {
  // 0x00010203 bytes would be read as 0x03020100 little-endian: far more than the input.
  std::string payload(0x010203, 'y');
  auto pieces = demux({frame(1, payload), frame(2, "z")});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].second.size(), payload.size());
  EXPECT_EQ(pieces[1], Piece(k_err, "z"));
}

} // namespace
} // namespace cicd::docker

// Docker's multiplexed stdout/stderr stream (docker::StreamDemuxer), which a job's container
// writes. The input is a chunking seed (2 bytes), then the stream. Beyond not crashing: fed in
// the chunks the seed picks, the demuxer hands out exactly what a whole-stream reference
// decoder written here finds, byte for byte and stream for stream.

#include "cicd/docker/client.hpp"

#include "fuzz_support.hpp"

#include <array>

namespace {

using cicd::docker::OutputStream;

struct Decoded {
  std::string out;
  std::string err;
  bool operator==(const Decoded&) const = default;
};

// Frames of [type, 0, 0, 0, big-endian size] and the payload; types 2 and up count as stderr;
// a last frame may be cut short.
Decoded reference(std::string_view stream) {
  Decoded decoded;
  while (stream.size() >= 8) {
    auto type = static_cast<unsigned char>(stream[0]);
    std::size_t size = 0;
    for (std::size_t i = 4; i < 8; ++i) {
      size = (size << 8) | static_cast<unsigned char>(stream[i]);
    }
    stream.remove_prefix(8);
    auto payload = stream.substr(0, size);
    (type >= 2 ? decoded.err : decoded.out) += payload;
    stream.remove_prefix(payload.size());
  }
  return decoded;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cicd::fuzz::Input input(data, size);
  unsigned seed = input.byte(); // two statements: the order of the reads is fixed
  seed |= unsigned{input.byte()} << 8;
  auto stream = input.rest();

  cicd::docker::StreamDemuxer demuxer;
  Decoded decoded;
  auto sink = [&](OutputStream which, std::string_view bytes) {
    cicd::fuzz::check(!bytes.empty(), "the demuxer handed out an empty piece");
    (which == OutputStream::stderr_stream ? decoded.err : decoded.out) += bytes;
  };
  for (std::size_t at = 0; at < stream.size();) {
    seed = seed * 1103515245U + 12345U;
    std::size_t chunk = std::min<std::size_t>(1 + (seed >> 16) % 64, stream.size() - at);
    demuxer.feed(stream.substr(at, chunk), sink);
    at += chunk;
  }
  cicd::fuzz::check(decoded == reference(stream),
                    "the demuxer's output differs from the reference decoder's");
  return 0;
}

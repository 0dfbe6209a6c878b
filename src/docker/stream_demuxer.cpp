#include "cicd/docker/client.hpp"

#include <algorithm>
#include <cstring>

namespace cicd::docker {

// Frame: [stream type (0 stdin, 1 stdout, 2 stderr, 3 system error), 0, 0, 0, payload size as
// a big-endian uint32], then the payload. Payload pieces go out as they arrive, never
// buffered whole, so a huge frame costs no memory.
void StreamDemuxer::feed(std::string_view bytes,
                         const std::function<void(OutputStream, std::string_view)>& sink) {
  while (!bytes.empty()) {
    if (m_payload_left == 0) {
      auto take = std::min(sizeof(m_header) - m_header_filled, bytes.size());
      std::memcpy(m_header + m_header_filled, bytes.data(), take);
      m_header_filled += take;
      bytes.remove_prefix(take);
      if (m_header_filled < sizeof(m_header)) {
        return;
      }
      m_header_filled = 0;
      m_stream = m_header[0] >= 2 ? OutputStream::stderr_stream : OutputStream::stdout_stream;
      m_payload_left = (std::size_t{m_header[4]} << 24) | (std::size_t{m_header[5]} << 16) |
                       (std::size_t{m_header[6]} << 8) | std::size_t{m_header[7]};
      continue; // a zero-length frame is followed directly by the next header
    }
    auto take = std::min(m_payload_left, bytes.size());
    sink(m_stream, bytes.substr(0, take));
    m_payload_left -= take;
    bytes.remove_prefix(take);
  }
}

} // namespace cicd::docker

#pragma once
// Plain TCP to a server under test on 127.0.0.1: the one place tests open such a socket, for
// clients that misbehave on purpose (slow, silent, half a handshake) and for readiness probes.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cicd::test {

// A socket connected to 127.0.0.1:`port` whose connect, sends and receives block for at most
// `timeout`; -1 when it could not connect (errno says why). The caller closes it.
int connect_loopback(std::uint16_t port, std::chrono::seconds timeout);

// One connection, closed on destruction. Thread safety: none.
class RawConnection {
public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return m_fd >= 0; }
  // Whether all of `bytes` went out (false once the server has closed).
  bool send(std::string_view bytes) const;
  // Everything that arrives until the server closes or `wait` passes (looked at once when
  // `wait` is 0); `closed` says which.
  std::string read_until_closed(std::chrono::milliseconds wait, bool& closed) const;

private:
  int m_fd = -1;
};

} // namespace cicd::test

#pragma once
// Deadlines for libgit2's network I/O (STYLE.md: every I/O has a deadline). libgit2 1.5 has no
// timeouts: it would wait for ever on a host that drops packets or a server that stops
// answering, holding a master's request (and the remote's fetch mutex) with it.
//
// The socket stream registered here replaces libgit2's own for every transport:
// - connecting gives up after `connect`;
// - git:// and http(s):// (OpenSSL works over this stream) read and write through it, and a
//   read or write that waits longer than `idle` fails;
// - ssh:// only connects through it (libssh2 reads and writes the socket itself): there TCP
//   keep-alives and TCP_USER_TIMEOUT end a connection whose peer is gone, but a live server
//   that stops answering is not cut off (a known gap).
// Private to src/git.

#include <chrono>
#include <string>

namespace cicd::git {

struct NetworkTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(30)};
  std::chrono::milliseconds idle{std::chrono::seconds(120)};
};

// Registers the stream with libgit2; ensure_libgit2() calls it once.
void register_socket_stream();

// What the last failed read, write or connect of this thread's streams said, and forgets it.
// OpenSSL reports a failure of the stream under it as "SSL error: … Generic error": the
// caller prefers this.
std::string take_stream_failure();

// Process-wide; for connections opened after the call. Tests make them short.
void set_network_timeouts(NetworkTimeouts timeouts);
NetworkTimeouts network_timeouts();

} // namespace cicd::git

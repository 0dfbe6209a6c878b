#pragma once
// Relays a long or streamed body from the master (a result download, the console's event
// stream) to the browser without holding it whole: a thread of its own reads it with
// http::Client into a bounded buffer, and the server's next_chunk drains that buffer.

#include "cicd/http/client.hpp"

#include <functional>
#include <optional>
#include <string>

namespace cicd::ui {

// Starts reading `request` (made streaming) and returns the next_chunk for a Reply. When the
// Reply is dropped (the browser went away) the reading stops at the next bytes that arrive.
// Only a 2xx body is relayed; any other answer ends the stream empty.
// Thread safety: the returned function is called by one thread at a time (the server's).
std::function<std::optional<std::string>()> relay_stream(http::ClientRequest request);

} // namespace cicd::ui

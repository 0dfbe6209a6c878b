// GET /jobs/{job}/runs/{id}/results/console[?follow=true][&offset=N]: the console, from the
// database's chunks while the run goes and from the result store once it has ended (the
// agent stores it whole and the chunks go in the same transaction as the final status, so
// a reader switching over mid-way sees no gap and no line twice).
// With Accept: text/event-stream it is served as server-sent events: each event holds whole
// lines and its id is the byte offset after them, so a reconnecting EventSource resumes with
// Last-Event-ID exactly where it stopped; a last "end" event carries the run's status.
#include "api.hpp"
#include "request_helpers.hpp"

#include "cicd/model/json.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <limits>

namespace cicd::master {
namespace {
using boost::beast::http::field;

constexpr std::int64_t k_piece_bytes = 1024 * 1024;
// Server-sent events: a line longer than this is sent in parts rather than held back.
constexpr std::size_t k_max_held_bytes = 64 * 1024;
constexpr auto k_keep_alive = std::chrono::seconds(15);

// The console's bytes from an offset on. next() returns the next bytes, "" when there are
// none yet (the run goes on and `follow` is set), nullopt at the end.
class ConsoleSource {
public:
  ConsoleSource(const ApiDependencies& deps, std::string job, std::int64_t id, bool follow,
                std::int64_t offset)
      : m_deps(deps), m_job(std::move(job)), m_id(id), m_follow(follow), m_offset(offset) {}

  std::optional<std::string> next() {
    if (auto live = from_chunks(); !live.empty()) {
      return live;
    }
    auto run = value_or_throw(m_deps.store.get_run(m_job, m_id));
    m_status = run.status;
    if (model::is_terminal(run.status)) {
      auto piece = from_result_store();
      if (piece.empty()) {
        return std::nullopt;
      }
      return piece;
    }
    if (!m_follow) {
      return std::nullopt;
    }
    return std::string();
  }

  std::int64_t offset() const { return m_offset; }
  model::RunStatus status() const { return m_status; }

private:
  std::string from_chunks() {
    auto chunks = value_or_throw(m_deps.store.read_console(m_id, m_offset, 8));
    std::string out;
    for (const auto& chunk : chunks) {
      auto position = m_offset + static_cast<std::int64_t>(out.size());
      if (chunk.byte_offset > position) {
        // The agent dropped part of the live view while the database was away (the stored
        // console has it all): skip to the chunk so that offsets stay those of the console.
        if (!out.empty()) {
          break;
        }
        m_offset = position = chunk.byte_offset;
      }
      auto skip = position - chunk.byte_offset;
      if (skip < static_cast<std::int64_t>(chunk.content.size())) {
        out.append(chunk.content, static_cast<std::size_t>(skip));
      }
    }
    m_offset += static_cast<std::int64_t>(out.size());
    return out;
  }

  std::string from_result_store() {
    std::string piece;
    auto read = m_deps.results.read(m_id, "console", m_offset, [&](std::string_view bytes) {
      piece.append(bytes);
      return static_cast<std::int64_t>(piece.size()) < k_piece_bytes;
    });
    if (!read && read.error().code != ErrorCode::not_found) { // cut the response short
      throw ErrorException(read.error());
    }
    m_offset += static_cast<std::int64_t>(piece.size());
    return piece;
  }

  const ApiDependencies& m_deps;
  std::string m_job;
  std::int64_t m_id;
  bool m_follow;
  std::int64_t m_offset;
  model::RunStatus m_status = model::RunStatus::queued;
};

// How many leading bytes of `text` end on a UTF-8 character boundary.
std::size_t whole_characters(std::string_view text) {
  auto end = text.size();
  for (std::size_t back = 0; back < 4 && back < text.size(); ++back) {
    auto byte = static_cast<unsigned char>(text[text.size() - 1 - back]);
    if ((byte & 0xC0) == 0x80) {
      continue; // a continuation byte: look further back for its lead
    }
    auto length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    if (static_cast<std::size_t>(length) > back + 1) {
      end = text.size() - 1 - back; // the last character is incomplete
    }
    break;
  }
  return end;
}

// Server-sent events over a ConsoleSource.
class EventStream {
public:
  explicit EventStream(ConsoleSource source)
      : m_source(std::move(source)), m_sent_offset(m_source.offset()) {}

  std::optional<std::string> next() {
    if (m_ended) {
      return std::nullopt;
    }
    auto bytes = m_source.next();
    if (!bytes) {
      m_ended = true;
      auto out = event(m_held.size()); // the last line, even without its newline
      return out + fmt::format("event: end\ndata: {{\"status\":\"{}\"}}\n\n",
                               model::to_string(m_source.status()));
    }
    m_held += *bytes;
    auto lines = m_held.rfind('\n');
    std::size_t take = lines == std::string::npos ? 0 : lines + 1;
    if (take == 0 && m_held.size() > k_max_held_bytes) {
      take = whole_characters(m_held);
    }
    if (take > 0) {
      m_last_event = std::chrono::steady_clock::now();
      return event(take);
    }
    if (std::chrono::steady_clock::now() - m_last_event >= k_keep_alive) {
      m_last_event = std::chrono::steady_clock::now();
      return std::string(": keep-alive\n\n");
    }
    return std::string();
  }

private:
  // One event with the first `size` held bytes, one data: field per line.
  std::string event(std::size_t size) {
    if (size == 0) {
      return {};
    }
    std::string_view text(m_held.data(), size);
    if (text.ends_with('\n')) {
      text.remove_suffix(1);
    }
    std::string out;
    m_sent_offset += static_cast<std::int64_t>(size);
    out += fmt::format("id: {}\n", m_sent_offset);
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = std::min(text.find('\n', start), text.size());
      auto line = text.substr(start, end - start);
      if (line.ends_with('\r')) {
        line.remove_suffix(1);
      }
      out += "data: ";
      out += line;
      out += '\n';
      start = end + 1;
    }
    out += '\n';
    m_held.erase(0, size);
    return out;
  }

  ConsoleSource m_source;
  std::int64_t m_sent_offset;
  std::string m_held;
  bool m_ended = false;
  std::chrono::steady_clock::time_point m_last_event = std::chrono::steady_clock::now();
};

bool bool_param(const http::Target& target, std::string_view name, bool absent) {
  auto text = target.param(name);
  if (text.empty()) {
    return absent;
  }
  if (text != "true" && text != "false") {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    fmt::format("'{}' must be true or false", name),
                                    std::string(name)));
  }
  return text == "true";
}

// Last-Event-ID, sent by a reconnecting EventSource: the offset it has read up to.
std::optional<std::int64_t> last_event_id(const http::Request& request) {
  auto header = request["Last-Event-ID"];
  if (header.empty()) {
    return std::nullopt;
  }
  std::int64_t offset = -1;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), offset);
  if (ec != std::errc() || end != header.data() + header.size() || offset < 0) {
    throw ErrorException(make_error(ErrorCode::invalid_input,
                                    "Last-Event-ID must be a byte offset this endpoint sent",
                                    "Last-Event-ID"));
  }
  return offset;
}

http::Reply get_console(const ApiDependencies& deps, const http::Request& request,
                        const http::RouteMatch& match) {
  auto job = job_name(match);
  auto id = run_id(match);
  auto run = value_or_throw(deps.store.get_run(job, id));
  bool events = request[field::accept].find("text/event-stream") != std::string_view::npos;
  bool follow = bool_param(match.target, "follow", events);
  auto offset = integer_param(match.target, "offset", 0, std::numeric_limits<std::int64_t>::max())
                    .value_or(0);
  if (auto resumed = events ? last_event_id(request) : std::nullopt) {
    offset = *resumed;
  }
  if (run.results_expired) {
    throw ErrorException(
        make_error(ErrorCode::gone, fmt::format("the console of run {} was deleted: it was older "
                                                "than the retention period (resultRetentionDays)",
                                                id)));
  }
  http::Response head(http::Status::ok, 11);
  head.set(field::content_type, events ? "text/event-stream" : "text/plain; charset=utf-8");
  head.set(field::cache_control, "no-store");
  head.set("X-Content-Type-Options", "nosniff");
  head.set("X-Accel-Buffering", "no"); // a proxy in front must pass lines on as they come
  ConsoleSource source(deps, job, id, follow, offset);
  if (events) {
    auto stream = std::make_shared<EventStream>(std::move(source));
    return http::Reply(std::move(head), [stream] { return stream->next(); });
  }
  auto plain = std::make_shared<ConsoleSource>(std::move(source));
  return http::Reply(std::move(head), [plain] { return plain->next(); });
}

} // namespace

void add_console_routes(http::Router& router, const ApiDependencies& deps) {
  router.add({http::Verb::get, "/jobs/{job}/runs/{id}/results/console",
              static_cast<int>(auth::Scope::read), with_deps(deps, get_console)});
}

} // namespace cicd::master

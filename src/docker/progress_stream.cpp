#include "progress_stream.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>

namespace cicd::docker::detail {
namespace {

// Splits JSON lines out of the body, then build output into lines for the log.
class ProgressParser {
public:
  explicit ProgressParser(const std::function<void(std::string_view)>& log) : m_log(log) {}

  void feed(std::string_view bytes) {
    while (!bytes.empty() && !m_error) {
      auto newline = bytes.find('\n');
      auto piece = bytes.substr(0, newline);
      if (m_line.size() + piece.size() <= k_max_progress_line) {
        m_line.append(piece);
      } else {
        m_line_cut = true;
      }
      if (newline == std::string_view::npos) {
        return;
      }
      bytes.remove_prefix(newline + 1);
      if (!m_line_cut) {
        handle_message(m_line);
      }
      m_line.clear();
      m_line_cut = false;
    }
  }

  // The stream ended: what is left is the last message and the last log line.
  void finish() {
    if (!m_error && !m_line_cut) {
      handle_message(m_line);
    }
    if (!m_output.empty()) {
      emit(m_output);
      m_output.clear();
    }
  }

  const std::optional<std::string>& error() const { return m_error; }

private:
  void handle_message(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      return;
    }
    rapidjson::Document message;
    message.Parse(line.data(), line.size());
    if (message.HasParseError() || !message.IsObject()) {
      emit(line); // not Docker's format: keep it readable rather than lose it
      return;
    }
    auto string_member = [&message](const char* name) -> std::optional<std::string_view> {
      auto found = message.FindMember(name);
      if (found == message.MemberEnd() || !found->value.IsString()) {
        return std::nullopt;
      }
      return std::string_view(found->value.GetString(), found->value.GetStringLength());
    };
    if (auto detail = message.FindMember("errorDetail");
        detail != message.MemberEnd() && detail->value.IsObject() &&
        detail->value.HasMember("message") && detail->value["message"].IsString()) {
      m_error = detail->value["message"].GetString();
      return;
    }
    if (auto error = string_member("error")) {
      m_error = std::string(*error);
      return;
    }
    if (auto stream = string_member("stream")) {
      add_output(*stream);
    } else if (auto status = string_member("status"); status && !string_member("progress")) {
      auto id = string_member("id");
      emit(id ? fmt::format("{}: {}", *id, *status) : std::string(*status));
    }
  }

  // Build output arrives in pieces that need not end with a newline.
  void add_output(std::string_view text) {
    while (!text.empty()) {
      auto newline = text.find('\n');
      auto piece = text.substr(0, newline);
      if (m_output.size() + piece.size() <= k_max_progress_line) {
        m_output.append(piece);
      }
      if (newline == std::string_view::npos) {
        return;
      }
      text.remove_prefix(newline + 1);
      emit(m_output);
      m_output.clear();
    }
  }

  void emit(std::string_view line) {
    if (m_log) {
      m_log(line);
    }
  }

  const std::function<void(std::string_view)>& m_log;
  std::string m_line;
  bool m_line_cut = false;
  std::string m_output;
  std::optional<std::string> m_error;
};

} // namespace

Result<void> read_progress_stream(Connection& connection, ErrorCode failure_code,
                                  std::string_view failure_prefix,
                                  const std::function<void(std::string_view line)>& log) {
  ProgressParser parser(log);
  auto read = connection.read_body([&parser](std::string_view chunk) {
    parser.feed(chunk);
    return !parser.error(); // nothing after an error matters
  });
  if (!read) {
    return read.error();
  }
  parser.finish();
  if (parser.error()) {
    return make_error(failure_code, fmt::format("Docker: {}{}", failure_prefix, *parser.error()));
  }
  return {};
}

} // namespace cicd::docker::detail

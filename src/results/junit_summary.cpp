#include "cicd/results/junit_summary.hpp"

#include <expat.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace cicd::results {

JunitSummary& JunitSummary::operator+=(const JunitSummary& other) {
  tests += other.tests;
  failures += other.failures;
  errors += other.errors;
  skipped += other.skipped;
  time_ms += other.time_ms;
  return *this;
}

namespace {

// Element names without a namespace prefix ("ns:testcase" counts as "testcase").
std::string_view local_name(const XML_Char* name) {
  std::string_view full(name);
  auto colon = full.rfind(':');
  return colon == std::string_view::npos ? full : full.substr(colon + 1);
}

std::string_view attribute(const XML_Char** attributes, std::string_view wanted) {
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    if (local_name(attributes[i]) == wanted) {
      return attributes[i + 1];
    }
  }
  return {};
}

// Seconds as runners write them ("0.25", "1,234.5"), in milliseconds; 0 when unreadable.
std::int64_t milliseconds(std::string_view seconds) {
  std::string digits;
  for (char c : seconds.substr(0, 64)) {
    if (c != ',') {
      digits += c;
    }
  }
  char* end = nullptr;
  double value = std::strtod(digits.c_str(), &end);
  if (end == digits.c_str() || !std::isfinite(value) || value < 0 || value > 1e9) {
    return 0;
  }
  return std::llround(value * 1000);
}

} // namespace

struct JunitReportParser::State {
  XML_Parser parser = XML_ParserCreate(nullptr);
  JunitSummary summary;
  int depth = 0;
  int testcase_depth = -1; // the depth of the open <testcase>, -1 outside one
  bool failed = false, errored = false, skipped = false;
  bool malformed = false;
  std::string testcase_name;
  std::vector<std::string> failing;

  ~State() { XML_ParserFree(parser); }

  void start(const XML_Char* name, const XML_Char** attributes) {
    ++depth;
    auto element = local_name(name);
    if (element == "testcase" && testcase_depth < 0) {
      testcase_depth = depth;
      failed = errored = false;
      skipped = attribute(attributes, "status") == "notrun";
      auto classname = attribute(attributes, "classname");
      testcase_name = std::string(classname) + (classname.empty() ? "" : ".") +
                      std::string(attribute(attributes, "name"));
      summary.time_ms += milliseconds(attribute(attributes, "time"));
    } else if (testcase_depth >= 0 && depth == testcase_depth + 1) {
      failed = failed || element == "failure";
      errored = errored || element == "error";
      skipped = skipped || element == "skipped";
    }
  }

  void end() {
    if (depth == testcase_depth) {
      ++summary.tests;
      summary.failures += failed ? 1 : 0;
      summary.errors += errored && !failed ? 1 : 0;
      summary.skipped += skipped && !failed && !errored ? 1 : 0;
      if ((failed || errored) && failing.size() < k_max_failing_names) {
        failing.push_back(testcase_name);
      }
      testcase_depth = -1;
    }
    --depth;
  }

  Error error() const {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("line {}: {}", XML_GetCurrentLineNumber(parser),
                                  XML_ErrorString(XML_GetErrorCode(parser))));
  }
};

JunitReportParser::JunitReportParser() : m_state(std::make_unique<State>()) {
  if (m_state->parser == nullptr) {
    throw std::bad_alloc();
  }
  XML_SetUserData(m_state->parser, m_state.get());
  XML_SetElementHandler(
      m_state->parser,
      [](void* self, const XML_Char* name, const XML_Char** attributes) {
        static_cast<State*>(self)->start(name, attributes);
      },
      [](void* self, const XML_Char*) { static_cast<State*>(self)->end(); });
}

JunitReportParser::~JunitReportParser() = default;

bool JunitReportParser::feed(std::string_view bytes) {
  if (m_state->malformed) {
    return false;
  }
  constexpr std::size_t k_piece = 1 << 20; // expat takes an int length
  while (!bytes.empty()) {
    auto piece = bytes.substr(0, k_piece);
    if (XML_Parse(m_state->parser, piece.data(), static_cast<int>(piece.size()), XML_FALSE) !=
        XML_STATUS_OK) {
      m_state->malformed = true;
      return false;
    }
    bytes.remove_prefix(piece.size());
  }
  return true;
}

Result<JunitSummary> JunitReportParser::finish() {
  if (m_state->malformed || XML_Parse(m_state->parser, nullptr, 0, XML_TRUE) != XML_STATUS_OK) {
    return m_state->error();
  }
  return m_state->summary;
}

const std::vector<std::string>& JunitReportParser::failing_tests() const {
  return m_state->failing;
}

} // namespace cicd::results

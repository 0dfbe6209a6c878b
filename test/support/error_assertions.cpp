#include "support/error_assertions.hpp"

namespace cicd::test {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
  case ErrorCode::invalid_input:
    return "invalid_input";
  case ErrorCode::unprocessable:
    return "unprocessable";
  case ErrorCode::not_found:
    return "not_found";
  case ErrorCode::conflict:
    return "conflict";
  case ErrorCode::precondition_failed:
    return "precondition_failed";
  case ErrorCode::unauthorized:
    return "unauthorized";
  case ErrorCode::forbidden:
    return "forbidden";
  case ErrorCode::too_large:
    return "too_large";
  case ErrorCode::unavailable:
    return "unavailable";
  case ErrorCode::bad_gateway:
    return "bad_gateway";
  case ErrorCode::gone:
    return "gone";
  case ErrorCode::internal:
    return "internal";
  }
  return "unknown";
}

} // namespace cicd::test

namespace cicd {

void PrintTo(ErrorCode code, std::ostream* out) {
  *out << test::error_code_name(code);
}

} // namespace cicd

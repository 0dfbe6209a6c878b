#pragma once
// The project's error policy (see STYLE.md):
// - expected failures are values: Result<T> holds a T or an Error naming what was wrong;
// - misconfiguration at start-up throws Fatal, caught once in main and printed;
// - bugs assert.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>

namespace cicd {

enum class ErrorCode {
  invalid_input,       // the caller sent something malformed (400)
  unprocessable,       // well-formed but not acceptable in this state (422)
  not_found,           // (404)
  conflict,            // the resource is in a state that forbids this (409)
  precondition_failed, // If-Match and friends (412)
  unauthorized,        // (401)
  forbidden,           // (403)
  too_large,           // (413)
  unavailable,         // a backing service is down; retrying later may work (503)
  bad_gateway,         // a remote the request depends on (a git server) failed (502)
  gone,                // existed, deleted for good (results past retention) (410)
  internal,            // a bug or an unexpected failure of a dependency (500)
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message; // for people: what was wrong and what to do
  std::string field;   // the offending input field ("services.db.image"), when there is one
};

// Thrown by Result::value() on an Error; callers that can handle errors check first.
class ErrorException : public std::runtime_error {
public:
  explicit ErrorException(Error error)
      : std::runtime_error(error.message), m_error(std::move(error)) {}
  const Error& error() const { return m_error; }

private:
  Error m_error;
};

[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(ErrorCode code, std::string message, std::string field = {}) {
  return Error{code, std::move(message), std::move(field)};
}

// Misconfiguration found at start-up; main prints what() and exits with exit_code().
class Fatal : public std::runtime_error {
public:
  explicit Fatal(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), m_exit_code(exit_code) {}
  int exit_code() const { return m_exit_code; }

private:
  int m_exit_code;
};

} // namespace cicd

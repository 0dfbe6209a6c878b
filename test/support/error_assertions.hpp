#pragma once
// Assertions on Result<T> that say, when they fail, which error came back and why:
//   ASSERT_OK(store.delete_job("x", std::nullopt));
//   EXPECT_ERROR(store.get_job("x"), ErrorCode::not_found);
//   EXPECT_ERROR_FIELD(parse_job_definition(body), ErrorCode::invalid_input, "services.db.image");

#include "cicd/core/error.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

namespace cicd {

// Found by GoogleTest through ADL: codes print by name, not as numbers.
void PrintTo(ErrorCode code, std::ostream* out);

} // namespace cicd

namespace cicd::test {

// "not_found" for ErrorCode::not_found.
std::string_view error_code_name(ErrorCode code);

template <class T>
::testing::AssertionResult is_ok(const char* result_text, const Result<T>& result) {
  if (result.has_value()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << result_text << " failed with " << error_code_name(result.error().code) << " ("
         << result.error().message << ")";
}

template <class T>
::testing::AssertionResult is_error(const char* result_text, const char* code_text,
                                    const Result<T>& result, ErrorCode code) {
  if (result.has_value()) {
    return ::testing::AssertionFailure()
           << result_text << " succeeded, expected the error " << code_text;
  }
  if (result.error().code != code) {
    return ::testing::AssertionFailure()
           << result_text << " failed with " << error_code_name(result.error().code) << " ("
           << result.error().message << "), expected " << code_text;
  }
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult is_error_on_field(const char* result_text, const char* code_text,
                                             const char* field_text, const Result<T>& result,
                                             ErrorCode code, std::string_view field) {
  auto matches_code = is_error(result_text, code_text, result, code);
  if (!matches_code) {
    return matches_code;
  }
  if (result.error().field != field) {
    return ::testing::AssertionFailure()
           << result_text << " named the field '" << result.error().field << "' ("
           << result.error().message << "), expected " << field_text;
  }
  return ::testing::AssertionSuccess();
}

} // namespace cicd::test

#define EXPECT_OK(result) EXPECT_PRED_FORMAT1(::cicd::test::is_ok, result)
#define ASSERT_OK(result) ASSERT_PRED_FORMAT1(::cicd::test::is_ok, result)
#define EXPECT_ERROR(result, code) EXPECT_PRED_FORMAT2(::cicd::test::is_error, result, code)
#define ASSERT_ERROR(result, code) ASSERT_PRED_FORMAT2(::cicd::test::is_error, result, code)
#define EXPECT_ERROR_FIELD(result, code, field)                                                    \
  EXPECT_PRED_FORMAT3(::cicd::test::is_error_on_field, result, code, field)

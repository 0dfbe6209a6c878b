#include "cicd/model/duration.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cicd::model {
namespace {

using std::chrono::seconds;

TEST(ParseDuration, ReadsUnitsInDecreasingOrder) {
  EXPECT_EQ(parse_duration("90s", "timeout").value(), seconds(90));
  EXPECT_EQ(parse_duration("30m", "timeout").value(), seconds(1800));
  EXPECT_EQ(parse_duration("1h30m", "timeout").value(), seconds(5400));
  EXPECT_EQ(parse_duration("2d", "timeout").value(), seconds(2 * 86400));
  EXPECT_EQ(parse_duration("1d2h3m4s", "timeout").value(), seconds(86400 + 7200 + 180 + 4));
  EXPECT_EQ(parse_duration("1s", "timeout").value(), seconds(1));
  EXPECT_EQ(parse_duration("0h5m", "timeout").value(), seconds(300));
}

TEST(ParseDuration, DefaultMaximumIsSevenDays) {
  EXPECT_EQ(parse_duration("7d", "timeout").value(), seconds(7 * 86400));
  EXPECT_EQ(parse_duration("168h", "timeout").value(), seconds(7 * 86400));
  EXPECT_ERROR_FIELD(parse_duration("8d", "timeout"), ErrorCode::invalid_input, "timeout");
  EXPECT_ERROR_FIELD(parse_duration("7d1s", "timeout"), ErrorCode::invalid_input, "timeout");
}

TEST(ParseDuration, HonoursACustomMaximum) {
  EXPECT_EQ(parse_duration("1h", "lease", std::chrono::hours(1)).value(), seconds(3600));
  EXPECT_ERROR_FIELD(parse_duration("61m", "lease", std::chrono::hours(1)),
                     ErrorCode::invalid_input, "lease");
}

TEST(ParseDuration, RefusesMalformedDurationsNamingTheField) {
  for (std::string text : {"", "0s", "0d0h", "1x", "5m1h", "1h1h", "s", "10", "-1s", " 1s", "1s ",
                           "1.5h", "1H", "1h 30m", "99999999s", "1e3s"}) {
    EXPECT_ERROR_FIELD(parse_duration(text, "services.db.timeout"), ErrorCode::invalid_input,
                       "services.db.timeout")
        << "'" << text << "'";
  }
}

TEST(ParseDuration, LargestNumbersDoNotOverflow) {
  // Seven digits per group at most, so the sum stays far inside int64.
  EXPECT_ERROR(parse_duration("9999999d9999999h9999999m9999999s", "t"), ErrorCode::invalid_input);
  EXPECT_EQ(parse_duration("9999999s", "t", seconds(10'000'000)).value(), seconds(9'999'999));
}

} // namespace
} // namespace cicd::model

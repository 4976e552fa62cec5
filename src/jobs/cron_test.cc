#include "jobs/cron.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobs/time_test_util.h"

namespace lagoa::jobs {
namespace {

std::string ParseError(const char* expression, const char* zone = "UTC") {
  auto parsed = CronSchedule::Parse(expression, zone);
  return parsed.ok() ? "parsed" : std::string(parsed.status().message());
}

// The first `n` times after `from`.
std::vector<std::string> Next(const CronSchedule& cron, const char* from, int n) {
  std::vector<std::string> out;
  int64_t t = Ms(from);
  for (int i = 0; i < n; ++i) {
    auto next = cron.NextAfter(t);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok()) break;
    t = *next;
    out.push_back(Utc(t));
  }
  return out;
}

TEST(CronSchedule, RefusesBadFieldsNamingWhatItExpected) {
  EXPECT_EQ(ParseError("* * *"), "cron `* * *`: 3 fields: expected 5 (minute hour day-of-month month day-of-week)");
  EXPECT_EQ(ParseError("61 * * * *"), "cron `61 * * * *`: minute: `61`: expected a number from 0 to 59");
  EXPECT_EQ(ParseError("0 5-1 * * *"),
            "cron `0 5-1 * * *`: hour: range `5-1` runs backwards: expected the lower value first");
  EXPECT_EQ(ParseError("*/0 * * * *"), "cron `*/0 * * * *`: minute: step `0`: expected a number from 1 to 60");
  EXPECT_EQ(ParseError("0 0 * foo *"), "cron `0 0 * foo *`: month: `foo`: expected a number from 1 to 12 or a name");
  EXPECT_EQ(ParseError("0 0 * * 8"), "cron `0 0 * * 8`: day of week: `8`: expected a number from 0 to 7 or a name");
  EXPECT_NE(ParseError("0 0 * * *", "Mars/Olympus").find("time zone `Mars/Olympus`: not in the time zone database"),
            std::string::npos);
}

TEST(CronSchedule, StepsRangesListsAndNames) {
  auto quarter = CronSchedule::Parse("*/15 * * * *");
  ASSERT_TRUE(quarter.ok());
  EXPECT_EQ(Next(*quarter, "2024-05-01T12:07:30Z", 3),
            (std::vector<std::string>{"2024-05-01T12:15:00Z", "2024-05-01T12:30:00Z", "2024-05-01T12:45:00Z"}));
  // 2024-05-03 is a Friday: weekdays at 06:00 skip the weekend.
  auto weekdays = CronSchedule::Parse("0 6 * * MON-fri");
  ASSERT_TRUE(weekdays.ok());
  EXPECT_EQ(Next(*weekdays, "2024-05-03T07:00:00Z", 2),
            (std::vector<std::string>{"2024-05-06T06:00:00Z", "2024-05-07T06:00:00Z"}));
  auto list = CronSchedule::Parse("30 2 1,15 jan-jun *");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Next(*list, "2024-06-20T00:00:00Z", 2),
            (std::vector<std::string>{"2025-01-01T02:30:00Z", "2025-01-15T02:30:00Z"}));
}

TEST(CronSchedule, BothDayFieldsRestrictedMatchEither) {
  // The 13th, and every Friday (2024-09-06 and 2024-09-13 are Fridays).
  auto cron = CronSchedule::Parse("0 0 13 * 5");
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(Next(*cron, "2024-09-01T00:00:00Z", 3),
            (std::vector<std::string>{"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"}));
  auto sunday = CronSchedule::Parse("0 12 * * 7");  // 7 is Sunday, as 0
  ASSERT_TRUE(sunday.ok());
  EXPECT_EQ(Next(*sunday, "2024-09-01T13:00:00Z", 1), (std::vector<std::string>{"2024-09-08T12:00:00Z"}));
}

TEST(CronSchedule, ATimeTheClocksSkipRunsAtTheChangeOnce) {
  // New York, 2024-03-10: 02:00 EST becomes 03:00 EDT (07:00 UTC), so 02:00-02:59 never happen.
  auto cron = CronSchedule::Parse("*/20 2 * * *", "America/New_York");
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(Next(*cron, "2024-03-09T12:00:00Z", 5), (std::vector<std::string>{
                                                        "2024-03-10T07:00:00Z",  // 02:00, 02:20, 02:40: once
                                                        "2024-03-11T06:00:00Z",  // 02:00 EDT
                                                        "2024-03-11T06:20:00Z",
                                                        "2024-03-11T06:40:00Z",
                                                        "2024-03-12T06:00:00Z",
                                                    }));
}

TEST(CronSchedule, ATimeTheClocksRepeatRunsTheFirstTimeOnly) {
  // New York, 2024-11-03: 02:00 EDT becomes 01:00 EST (06:00 UTC), so 01:00-01:59 happen twice.
  auto daily = CronSchedule::Parse("30 1 * * *", "America/New_York");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(Next(*daily, "2024-11-02T12:00:00Z", 2),
            (std::vector<std::string>{"2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"}));
  auto hourly = CronSchedule::Parse("0 * * * *", "America/New_York");
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(Next(*hourly, "2024-11-03T04:30:00Z", 3),
            (std::vector<std::string>{"2024-11-03T05:00:00Z",  // 01:00 EDT
                                      "2024-11-03T07:00:00Z",  // 02:00 EST; 01:00 EST is not run again
                                      "2024-11-03T08:00:00Z"}));
  // From inside the repeated hour's second pass, the next time is after it.
  EXPECT_EQ(Next(*hourly, "2024-11-03T06:10:00Z", 1), (std::vector<std::string>{"2024-11-03T07:00:00Z"}));
}

TEST(CronSchedule, ADateThatNeverComesIsAnError) {
  auto cron = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_TRUE(cron.ok());
  auto next = cron->NextAfter(Ms("2024-01-01T00:00:00Z"));
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("matches no time"), std::string::npos);
  auto leap = CronSchedule::Parse("0 0 29 2 *");
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(Next(*leap, "2024-03-01T00:00:00Z", 1), (std::vector<std::string>{"2028-02-29T00:00:00Z"}));
}

}  // namespace
}  // namespace lagoa::jobs

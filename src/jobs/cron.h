// A cron schedule: five fields (minute, hour, day of month, month, day of week) read in a time
// zone, as crontab(5) has them:
//
//   0 6 * * 1-5          at 06:00 on weekdays
//   */15 * * * *         every 15 minutes
//   30 2 1,15 jan-jun *  at 02:30 on the 1st and 15th of the first six months
//
// A field is `*`, a number, a range `a-b`, either with a step `/n`, or a comma-separated list of
// those; months and days of the week may be named (jan…dec, sun…sat); day of week 0 and 7 are
// Sunday. When both day fields are restricted, a day matching either one matches (crontab(5)).
//
// Daylight saving time, as cronie does it: a time the clocks skip (02:30 when they go from 02:00 to
// 03:00) runs at the change, once however many skipped times match; a time the clocks repeat
// (01:30 when they go back from 02:00 to 01:00) runs once, the first time.
//
// Value type: immutable once parsed; safe to share between threads.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/time/time.h>

#include "base/status.h"

namespace lagoa::jobs {

class CronSchedule {
 public:
  // `zone` is an IANA name ("America/New_York", "UTC") from the system's time zone database.
  // Errors name the field, what was found and what was expected.
  static Result<CronSchedule> Parse(std::string_view expression, std::string_view zone = "UTC");

  // The first time after `after_ms` (milliseconds since the Unix epoch) the schedule matches; an
  // error when none comes within 8 years (`0 0 30 2 *`, February 30th).
  Result<int64_t> NextAfter(int64_t after_ms) const;

  const std::string& expression() const { return expression_; }
  const std::string& zone_name() const { return zone_name_; }
  const absl::TimeZone& zone() const { return zone_; }

 private:
  CronSchedule() = default;
  bool DayMatches(int month, int day, int weekday) const;

  std::string expression_;
  std::string zone_name_;
  absl::TimeZone zone_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace lagoa::jobs

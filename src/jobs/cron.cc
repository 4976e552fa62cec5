#include "jobs/cron.h"

#include <absl/time/civil_time.h>
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <span>
#include <vector>

namespace lagoa::jobs {
namespace {

struct FieldRange {
  std::string_view name;
  int low;
  int high;
  std::span<const std::string_view> names;  // names[i] is the value low + i; empty: numbers only
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 8> kWeekdayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// How far NextAfter looks: every date repeats within 8 years (February 29th included).
constexpr int kDaysSearched = 366 * 8 + 2;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

Result<int> ParseValue(std::string_view text, const FieldRange& field) {
  for (size_t i = 0; i < field.names.size(); ++i) {
    if (EqualsIgnoringCase(text, field.names[i])) return field.low + static_cast<int>(i);
  }
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < field.low || value > field.high) {
    return Status::InvalidArgument(fmt::format("{}: `{}`: expected a number from {} to {}{}", field.name, text,
                                               field.low, field.high, field.names.empty() ? "" : " or a name"));
  }
  return value;
}

// Sets the values one field allows (`*/15`, `1-5`, `mon,wed`) in `bits`, indexed by value.
Status ParseField(std::string_view text, const FieldRange& field, std::vector<bool>& bits) {
  bits.assign(field.high + 1, false);
  while (true) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    int step = 1;
    if (const size_t slash = part.find('/'); slash != std::string_view::npos) {
      std::string_view step_text = part.substr(slash + 1);
      auto [end, error] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (error != std::errc() || end != step_text.data() + step_text.size() || step < 1 ||
          step > field.high - field.low + 1) {
        return Status::InvalidArgument(fmt::format("{}: step `{}`: expected a number from 1 to {}", field.name,
                                                   step_text, field.high - field.low + 1));
      }
      part = part.substr(0, slash);
    }
    int low = field.low;
    int high = field.high;
    if (part != "*") {
      const size_t dash = part.find('-');
      LAGOA_ASSIGN_OR_RETURN(low, ParseValue(part.substr(0, dash), field));
      high = low;
      if (dash != std::string_view::npos) {
        LAGOA_ASSIGN_OR_RETURN(high, ParseValue(part.substr(dash + 1), field));
      } else if (step > 1) {
        high = field.high;  // `5/15`: from 5 on, as cronie reads it
      }
      if (high < low) {
        return Status::InvalidArgument(
            fmt::format("{}: range `{}` runs backwards: expected the lower value first", field.name, part));
      }
    }
    for (int v = low; v <= high; v += step) bits[v] = true;
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return Status::Ok();
}

template <size_t N>
std::bitset<N> ToBits(const std::vector<bool>& values) {
  std::bitset<N> bits;
  for (size_t i = 0; i < values.size() && i < N; ++i) bits[i] = values[i];
  return bits;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression, std::string_view zone) {
  const std::vector<std::string_view> fields = SplitFields(expression);
  if (fields.size() != 5) {
    return Status::InvalidArgument(
        fmt::format("cron `{}`: {} field{}: expected 5 (minute hour day-of-month month day-of-week)", expression,
                    fields.size(), fields.size() == 1 ? "" : "s"));
  }
  CronSchedule out;
  out.expression_ = std::string(expression);
  out.zone_name_ = std::string(zone);
  if (!absl::LoadTimeZone(std::string(zone), &out.zone_)) {
    return Status::InvalidArgument(
        fmt::format("time zone `{}`: not in the time zone database (/usr/share/zoneinfo); expected a name such as "
                    "UTC or America/New_York",
                    zone));
  }
  const std::array<FieldRange, 5> ranges = {{
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day of month", 1, 31, {}},
      {"month", 1, 12, kMonthNames},
      {"day of week", 0, 7, kWeekdayNames},
  }};
  std::array<std::vector<bool>, 5> bits;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (Status parsed = ParseField(fields[i], ranges[i], bits[i]); !parsed.ok()) {
      return parsed.WithContext(fmt::format("cron `{}`", expression));
    }
  }
  out.minutes_ = ToBits<60>(bits[0]);
  out.hours_ = ToBits<24>(bits[1]);
  out.days_ = ToBits<32>(bits[2]);
  out.months_ = ToBits<13>(bits[3]);
  if (bits[4][7]) bits[4][0] = true;  // 7 is Sunday too
  out.weekdays_ = ToBits<7>(bits[4]);
  // As crontab(5): a day field that starts with `*` does not restrict (`*/2` neither).
  out.days_restricted_ = !fields[2].starts_with('*');
  out.weekdays_restricted_ = !fields[4].starts_with('*');
  return out;
}

bool CronSchedule::DayMatches(int month, int day, int weekday) const {
  if (!months_[month]) return false;
  if (days_restricted_ && weekdays_restricted_) return days_[day] || weekdays_[weekday];
  return days_[day] && weekdays_[weekday];
}

Result<int64_t> CronSchedule::NextAfter(int64_t after_ms) const {
  const absl::Time after = absl::FromUnixMillis(after_ms);
  const absl::CivilMinute start = absl::ToCivilMinute(after, zone_) + 1;
  absl::CivilDay day(start);
  for (int i = 0; i < kDaysSearched; ++i, ++day) {
    const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;  // absl: Monday is 0
    if (!DayMatches(day.month(), day.day(), weekday)) continue;
    for (int hour = 0; hour < 24; ++hour) {
      if (!hours_[hour]) continue;
      for (int minute = 0; minute < 60; ++minute) {
        if (!minutes_[minute]) continue;
        const absl::CivilMinute candidate(day.year(), day.month(), day.day(), hour, minute);
        if (candidate < start) continue;
        const absl::TimeZone::TimeInfo info = zone_.At(absl::CivilSecond(candidate));
        // Skipped: the clocks jump over it, so it runs at the change. Repeated: its first time.
        const absl::Time when = info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
        if (when <= after) continue;  // a repeated hour's second pass, or a skipped time already run
        return absl::ToUnixMillis(when);
      }
    }
  }
  return Status::InvalidArgument(fmt::format(
      "cron `{}` matches no time in the next {} days (a date that does not exist?)", expression_, kDaysSearched));
}

}  // namespace lagoa::jobs

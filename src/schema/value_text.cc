#include <chrono>
#include <iterator>

#include <fmt/format.h>

#include "base/assert.h"
#include "schema/types.h"
#include "schema/value_text_internal.h"

namespace lagoa::schema::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*pos].
bool ReadDigits(std::string_view text, size_t* pos, int n, int* value) {
  if (*pos + static_cast<size_t>(n) > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + static_cast<size_t>(i)];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(n);
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Parses YYYY-MM-DD at text[*pos]; returns days since the epoch.
bool ParseDatePart(std::string_view text, size_t* pos, int32_t* days, std::string* reason, std::string_view form) {
  int year, month, day;
  if (!ReadDigits(text, pos, 4, &year) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, &month) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, &day)) {
    *reason = fmt::format("not in the form {}", form);
    return false;
  }
  if (year < 1) {
    *reason = "year 0000 is out of range (0001 to 9999)";
    return false;
  }
  if (month < 1 || month > 12) {
    *reason = fmt::format("month {:02} is out of range", month);
    return false;
  }
  std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) {
    *reason = fmt::format("day {:02} does not exist in {:04}-{:02}", day, year, month);
    return false;
  }
  *days = static_cast<int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

DecimalParse ParseDecimal(std::string_view text, int precision, int scale, Int128* unscaled) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && text[pos] == '-') {
    negative = true;
    ++pos;
  }
  size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  std::string_view int_digits = text.substr(int_begin, pos - int_begin);
  if (int_digits.empty() || (int_digits.size() > 1 && int_digits[0] == '0')) return DecimalParse::kSyntax;
  std::string_view frac_digits;
  if (pos < text.size() && text[pos] == '.') {
    size_t frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_digits = text.substr(frac_begin, pos - frac_begin);
    if (frac_digits.empty()) return DecimalParse::kSyntax;
  }
  int64_t exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) exponent_negative = text[pos++] == '-';
    size_t exp_begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      // Saturate: anything this large is out of range (or zero) whatever the digits are.
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == exp_begin) return DecimalParse::kSyntax;
    if (exponent_negative) exponent = -exponent;
  }
  if (pos != text.size()) return DecimalParse::kSyntax;

  // value = digits * 10^(-digits_scale), digits = int_digits frac_digits without leading zeros.
  std::string digits;
  digits.reserve(int_digits.size() + frac_digits.size());
  digits.append(int_digits).append(frac_digits);
  size_t first_nonzero = digits.find_first_not_of('0');
  if (first_nonzero == std::string::npos) {
    *unscaled = 0;
    return DecimalParse::kOk;
  }
  digits.erase(0, first_nonzero);
  int64_t digits_scale = static_cast<int64_t>(frac_digits.size()) - exponent;
  while (digits_scale > scale && digits.back() == '0') {
    digits.pop_back();
    --digits_scale;
  }
  if (digits_scale > scale) return DecimalParse::kTooManyDecimals;
  // Now digits_scale <= scale: the unscaled value is digits followed by (scale - digits_scale) zeros.
  int64_t total_digits = static_cast<int64_t>(digits.size()) + (scale - digits_scale);
  if (total_digits > precision) return DecimalParse::kOutOfRange;
  Int128 value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  value *= PowerOfTen(static_cast<int>(scale - digits_scale));
  *unscaled = negative ? -value : value;
  return DecimalParse::kOk;
}

void AppendDecimal(Int128 unscaled, int scale, std::string& out) {
  LAGOA_ASSERT(scale >= 0 && scale <= kDecimalPrecisionMax);
  if (unscaled < 0) out += '-';
  UInt128 magnitude = unscaled < 0 ? static_cast<UInt128>(-(unscaled + 1)) + 1 : static_cast<UInt128>(unscaled);
  std::string digits = fmt::format("{}", magnitude);
  if (scale == 0) {
    out += digits;
    return;
  }
  if (digits.size() <= static_cast<size_t>(scale))
    digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
  out.append(digits, 0, digits.size() - static_cast<size_t>(scale));
  out += '.';
  out.append(digits, digits.size() - static_cast<size_t>(scale), std::string::npos);
}

bool ParseDate(std::string_view text, int32_t* days, std::string* reason) {
  size_t pos = 0;
  if (!ParseDatePart(text, &pos, days, reason, "YYYY-MM-DD")) return false;
  if (pos != text.size()) {
    *reason = "not in the form YYYY-MM-DD";
    return false;
  }
  return true;
}

bool ParseTimestamp(std::string_view text, int64_t* micros, std::string* reason) {
  constexpr std::string_view kForm = "YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]";
  size_t pos = 0;
  int32_t days;
  if (!ParseDatePart(text, &pos, &days, reason, kForm)) return false;
  int hour, minute, second;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    *reason = fmt::format("not in the form {}", kForm);
    return false;
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute) ||
      !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &second)) {
    *reason = fmt::format("not in the form {}", kForm);
    return false;
  }
  if (hour > 23) {
    *reason = fmt::format("hour {:02} is out of range", hour);
    return false;
  }
  if (minute > 59) {
    *reason = fmt::format("minute {:02} is out of range", minute);
    return false;
  }
  if (second > 59) {
    *reason = fmt::format("second {:02} is out of range (leap seconds are not supported)", second);
    return false;
  }
  int64_t fraction_us = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    size_t n = pos - begin;
    if (n == 0 || n > 9) {
      *reason = "the fraction of a second must have 1 to 9 digits";
      return false;
    }
    for (size_t i = 0; i < 6; ++i) fraction_us = fraction_us * 10 + (i < n ? text[begin + i] - '0' : 0);
    for (size_t i = 6; i < n; ++i) {
      if (text[begin + i] != '0') {
        *reason = "has a fraction finer than a microsecond, the unit timestamps are stored in";
        return false;
      }
    }
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    bool negative = text[pos++] == '-';
    int offset_hour = 0, offset_minute = 0;
    if (!ReadDigits(text, &pos, 2, &offset_hour)) {
      *reason = "the UTC offset must be ±HH:MM, ±HHMM or ±HH";
      return false;
    }
    if (pos < text.size()) {
      Expect(text, &pos, ':');
      if (!ReadDigits(text, &pos, 2, &offset_minute)) {
        *reason = "the UTC offset must be ±HH:MM, ±HHMM or ±HH";
        return false;
      }
    }
    if (offset_hour > 23 || offset_minute > 59) {
      *reason =
          fmt::format("UTC offset {}{:02}:{:02} is out of range", negative ? '-' : '+', offset_hour, offset_minute);
      return false;
    }
    offset_minutes = (negative ? -1 : 1) * (offset_hour * 60 + offset_minute);
  }
  if (pos != text.size()) {
    *reason = fmt::format("not in the form {}", kForm);
    return false;
  }
  int64_t seconds = int64_t{days} * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  int64_t result = seconds * 1'000'000 + fraction_us;
  if (result < kTimestampMicrosMin || result > kTimestampMicrosMax) {
    *reason = "is outside 0001-01-01 to 9999-12-31 in UTC";
    return false;
  }
  *micros = result;
  return true;
}

void AppendDate(int32_t days, std::string& out) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                 static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

void AppendTimestamp(int64_t micros, bool utc_marker, std::string& out) {
  int64_t days = FloorDiv(micros, 86'400'000'000);
  int64_t in_day = micros - days * 86'400'000'000;
  AppendDate(static_cast<int32_t>(days), out);
  int64_t seconds = in_day / 1'000'000;
  int64_t fraction = in_day % 1'000'000;
  fmt::format_to(std::back_inserter(out), "T{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) fmt::format_to(std::back_inserter(out), ".{:06}", fraction);
  if (utc_marker) out += 'Z';
}

}  // namespace lagoa::schema::internal

namespace lagoa::schema::record_format {

Int128 PowerOfTen(int n) {
  LAGOA_ASSERT(n >= 0 && n <= kDecimalPrecisionMax);
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

}  // namespace lagoa::schema::record_format

// Scalar pieces shared by the formats: exact integers and decimals, shortest round-trip floats laid
// out the way DuckDB, yyjson and PostgreSQL each do, calendar dates (proleptic Gregorian, any
// year DuckDB can hold), times, intervals, UUIDs and blobs.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/assert.h"
#include "sql/value_format_internal.h"

namespace lagoa::sql::internal {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

// Floor division and remainder (C++ truncates toward zero).
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendPadded(uint64_t value, int width, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  for (int n = static_cast<int>(end - buf); n < width; ++n) *out += '0';
  out->append(buf, end);
}

// Shortest round-trip digits of a finite non-zero-or-zero value: "d.ddd" mantissa digits without
// the point, and the decimal exponent of the first digit.
struct Digits {
  char digits[32];
  int count = 0;
  int exponent = 0;
  bool negative = false;
};

template <typename T>
Digits ShortestDigits(T value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  LAGOA_ASSERT(ec == std::errc());
  Digits d;
  const char* p = buf;
  if (*p == '-') {
    d.negative = true;
    ++p;
  }
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') d.digits[d.count++] = *p;
  }
  LAGOA_ASSERT(p < end);
  std::from_chars(p[1] == '+' ? p + 2 : p + 1, end, d.exponent);
  return d;
}

void AppendFixed(const Digits& d, bool point_zero, std::string* out) {
  if (d.exponent < 0) {
    *out += "0.";
    out->append(static_cast<size_t>(-d.exponent - 1), '0');
    out->append(d.digits, static_cast<size_t>(d.count));
    return;
  }
  const int integer_digits = d.exponent + 1;
  if (d.count <= integer_digits) {
    out->append(d.digits, static_cast<size_t>(d.count));
    out->append(static_cast<size_t>(integer_digits - d.count), '0');
    if (point_zero) *out += ".0";
    return;
  }
  out->append(d.digits, static_cast<size_t>(integer_digits));
  *out += '.';
  out->append(d.digits + integer_digits, static_cast<size_t>(d.count - integer_digits));
}

// d[.ddd]e<sign><exponent>; `plus` writes e+05 style (at least two digits), otherwise e5 / e-7.
void AppendScientific(const Digits& d, bool plus, std::string* out) {
  *out += d.digits[0];
  if (d.count > 1) {
    *out += '.';
    out->append(d.digits + 1, static_cast<size_t>(d.count - 1));
  }
  *out += 'e';
  if (d.exponent < 0) {
    *out += '-';
  } else if (plus) {
    *out += '+';
  }
  AppendPadded(static_cast<uint64_t>(std::abs(d.exponent)), plus ? 2 : 1, out);
}

template <typename T>
void AppendFloating(T value, FloatStyle style, std::string* out) {
  if (std::isnan(value)) {
    LAGOA_ASSERT(style != FloatStyle::kJson);
    *out += style == FloatStyle::kDuckText ? "nan" : "NaN";
    return;
  }
  if (std::isinf(value)) {
    LAGOA_ASSERT(style != FloatStyle::kJson);
    if (value < 0) *out += '-';
    *out += style == FloatStyle::kDuckText ? "inf" : "Infinity";
    return;
  }
  Digits d = ShortestDigits(value);
  if (d.negative) *out += '-';
  switch (style) {
    case FloatStyle::kDuckText:
      if (d.exponent < -4 || d.exponent >= 16) return AppendScientific(d, true, out);
      return AppendFixed(d, true, out);
    case FloatStyle::kJson:
      if (d.exponent < -6 || d.exponent >= 21) return AppendScientific(d, false, out);
      return AppendFixed(d, true, out);
    case FloatStyle::kPgFloat4:
      if (d.exponent < -4 || d.exponent >= 6) return AppendScientific(d, true, out);
      return AppendFixed(d, false, out);
    case FloatStyle::kPgFloat8:
      if (d.exponent < -4 || d.exponent >= 15) return AppendScientific(d, true, out);
      return AppendFixed(d, false, out);
  }
}

void AppendFraction(uint64_t fraction, int digits, std::string* out) {
  if (fraction == 0) return;
  char buf[16];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int n = digits;
  while (n > 0 && buf[n - 1] == '0') --n;
  *out += '.';
  out->append(buf, static_cast<size_t>(n));
}

int64_t UnitsPerSecond(int digits) {
  int64_t units = 1;
  for (int i = 0; i < digits; ++i) units *= 10;
  return units;
}

}  // namespace

void AppendUInt128(UInt128 value, std::string* out) {
  char buf[40];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  while (n > 0) *out += buf[--n];
}

void AppendInt128(Int128 value, std::string* out) {
  if (value < 0) {
    *out += '-';
    AppendUInt128(UInt128{0} - static_cast<UInt128>(value), out);
  } else {
    AppendUInt128(static_cast<UInt128>(value), out);
  }
}

void AppendBigNumber(const BigNumber& number, std::string* out, bool leading_zero) {
  if (number.negative) *out += '-';
  if (number.scale == 0) return AppendUInt128(number.magnitude, out);
  UInt128 divisor = 1;
  for (int i = 0; i < number.scale; ++i) divisor *= 10;
  if (leading_zero || number.magnitude >= divisor) AppendUInt128(number.magnitude / divisor, out);
  *out += '.';
  std::string fraction;
  AppendUInt128(number.magnitude % divisor, &fraction);
  out->append(static_cast<size_t>(number.scale) - fraction.size(), '0');
  *out += fraction;
}

void AppendDecimal(Int128 unscaled, int scale, std::string* out) {
  BigNumber number;
  number.negative = unscaled < 0;
  number.magnitude = number.negative ? UInt128{0} - static_cast<UInt128>(unscaled) : static_cast<UInt128>(unscaled);
  number.scale = scale;
  AppendBigNumber(number, out);
}

BigNumber ReadBigNumber(const TypeNode& type, duckdb_vector vector, uint64_t row) {
  auto from_signed = [](Int128 v, int scale) {
    BigNumber n;
    n.negative = v < 0;
    n.magnitude = n.negative ? UInt128{0} - static_cast<UInt128>(v) : static_cast<UInt128>(v);
    n.scale = scale;
    return n;
  };
  auto hugeint = [](duckdb_hugeint h) {
    return static_cast<Int128>((static_cast<UInt128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
  };
  switch (type.kind) {
    case TypeKind::kUBigInt:
      return from_signed(Read<uint64_t>(vector, row), 0);
    case TypeKind::kHugeInt:
      return from_signed(hugeint(Read<duckdb_hugeint>(vector, row)), 0);
    case TypeKind::kUHugeInt: {
      const auto u = Read<duckdb_uhugeint>(vector, row);
      BigNumber n;
      n.magnitude = (static_cast<UInt128>(u.upper) << 64) | u.lower;
      return n;
    }
    case TypeKind::kDecimal:
      switch (type.storage) {
        case DUCKDB_TYPE_SMALLINT:
          return from_signed(Read<int16_t>(vector, row), type.decimal_scale);
        case DUCKDB_TYPE_INTEGER:
          return from_signed(Read<int32_t>(vector, row), type.decimal_scale);
        case DUCKDB_TYPE_BIGINT:
          return from_signed(Read<int64_t>(vector, row), type.decimal_scale);
        default:
          return from_signed(hugeint(Read<duckdb_hugeint>(vector, row)), type.decimal_scale);
      }
    default:
      LAGOA_ASSERT_MSG(false, "not a big number type");
  }
  return {};
}

void AppendFloat(float value, FloatStyle style, std::string* out) {
  // yyjson writes floats widened to double (0.1f is 0.10000000149011612).
  if (style == FloatStyle::kJson) return AppendFloating(static_cast<double>(value), style, out);
  AppendFloating(value, style, out);
}

void AppendDouble(double value, FloatStyle style, std::string* out) { AppendFloating(value, style, out); }

// Howard Hinnant's days_from_civil inverse, in 64 bits so every DuckDB date and timestamp fits.
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  date.year = yoe + era * 400 + (date.month <= 2);
  return date;
}

void AppendCivilDate(const CivilDate& date, DateStyle style, std::string* out) {
  const bool bc = date.year <= 0;
  AppendPadded(static_cast<uint64_t>(bc ? 1 - date.year : date.year), 4, out);
  *out += '-';
  AppendPadded(static_cast<uint64_t>(date.month), 2, out);
  *out += '-';
  AppendPadded(static_cast<uint64_t>(date.day), 2, out);
  if (bc && style == DateStyle::kDuck) *out += " (BC)";
}

void AppendTimeOfDay(int64_t units, int digits, std::string* out) {
  const int64_t per_second = UnitsPerSecond(digits);
  const auto seconds = static_cast<uint64_t>(units / per_second);
  AppendPadded(seconds / 3600, 2, out);
  *out += ':';
  AppendPadded(seconds / 60 % 60, 2, out);
  *out += ':';
  AppendPadded(seconds % 60, 2, out);
  AppendFraction(static_cast<uint64_t>(units % per_second), digits, out);
}

void AppendTimestamp(int64_t value, int digits, bool tz, DateStyle style, std::string* out) {
  if (value == kTimestampInfinity || value == -kTimestampInfinity || value == INT64_MIN) {
    *out += value > 0 ? "infinity" : "-infinity";
    return;
  }
  const int64_t per_day = UnitsPerSecond(digits) * 86400;
  const int64_t days = FloorDiv(value, per_day);
  const CivilDate date = CivilFromDays(days);
  AppendCivilDate(date, style, out);
  *out += ' ';
  AppendTimeOfDay(value - days * per_day, digits, out);
  if (tz) *out += "+00";
  if (style == DateStyle::kPg && date.year <= 0) *out += " BC";
}

void AppendDuckInterval(const duckdb_interval& interval, std::string* out) {
  bool first = true;
  auto part = [&](int64_t value, const char* unit) {
    if (value == 0) return;
    if (!first) *out += ' ';
    first = false;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, end);
    *out += ' ';
    *out += unit;
    if (value != 1 && value != -1) *out += 's';
  };
  part(interval.months / 12, "year");
  part(interval.months % 12, "month");
  part(interval.days, "day");
  if (interval.micros == 0 && !first) return;
  if (!first) *out += ' ';
  const bool minus = interval.micros < 0;
  if (minus) *out += '-';
  const uint64_t magnitude =
      minus ? uint64_t{0} - static_cast<uint64_t>(interval.micros) : static_cast<uint64_t>(interval.micros);
  const uint64_t seconds = magnitude / 1000000;
  AppendPadded(seconds / 3600, 2, out);
  *out += ':';
  AppendPadded(seconds / 60 % 60, 2, out);
  *out += ':';
  AppendPadded(seconds % 60, 2, out);
  AppendFraction(magnitude % 1000000, 6, out);
}

// PostgreSQL's IntervalStyle 'postgres' (EncodeInterval): a field after a negative one carries an
// explicit sign, units are "year", "mon", "day", plural unless exactly 1.
void AppendPgInterval(const duckdb_interval& interval, std::string* out) {
  bool is_zero = true;
  bool is_before = false;
  auto part = [&](int64_t value, const char* unit) {
    if (value == 0) return;
    if (!is_zero) *out += ' ';
    if (is_before && value > 0) *out += '+';
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, end);
    *out += ' ';
    *out += unit;
    if (value != 1) *out += 's';
    is_before = value < 0;
    is_zero = false;
  };
  part(interval.months / 12, "year");
  part(interval.months % 12, "mon");
  part(interval.days, "day");
  if (is_zero || interval.micros != 0) {
    if (!is_zero) *out += ' ';
    const bool minus = interval.micros < 0;
    *out += minus ? "-" : (is_before ? "+" : "");
    const uint64_t magnitude =
        minus ? uint64_t{0} - static_cast<uint64_t>(interval.micros) : static_cast<uint64_t>(interval.micros);
    const uint64_t seconds = magnitude / 1000000;
    AppendPadded(seconds / 3600, 2, out);
    *out += ':';
    AppendPadded(seconds / 60 % 60, 2, out);
    *out += ':';
    AppendPadded(seconds % 60, 2, out);
    AppendFraction(magnitude % 1000000, 6, out);
  }
}

// DuckDB stores a UUID as a HUGEINT with the top bit flipped, so that UUIDs sort as their bytes do.
void AppendUuid(duckdb_hugeint value, std::string* out) {
  const uint64_t upper = static_cast<uint64_t>(value.upper) ^ (uint64_t{1} << 63);
  const uint64_t lower = value.lower;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) *out += '-';
    const uint64_t word = i < 16 ? upper : lower;
    const int shift = 60 - 4 * (i % 16);
    *out += kHexLower[(word >> shift) & 0xF];
  }
}

// DuckDB's BLOB text: printable ASCII as is, everything else and " ' \ as \xHH.
void AppendDuckBlob(std::string_view bytes, std::string* out) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7E && c != '"' && c != '\'' && c != '\\') {
      *out += ch;
    } else {
      *out += "\\x";
      *out += kHexUpper[c >> 4];
      *out += kHexUpper[c & 0xF];
    }
  }
}

}  // namespace lagoa::sql::internal

// PostgreSQL's formats of a value (PostgreSQL 15 with DateStyle ISO, IntervalStyle postgres,
// TimeZone UTC, extra_float_digits 1, bytea_output hex): the text its output functions print and
// the binary format its *send functions write. Lists and arrays of scalars are one-dimensional
// PostgreSQL arrays; everything without a PostgreSQL counterpart is text holding DuckDB's text.
#include <bit>
#include <cstring>

#include "base/assert.h"
#include "sql/value_format_internal.h"

namespace lagoa::sql::internal {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr uint32_t kTextOid = 25;
// Days and microseconds from 1970-01-01 (DuckDB's epoch) to 2000-01-01 (PostgreSQL's).
constexpr int32_t kPgEpochDays = 10957;
constexpr int64_t kPgEpochMicros = int64_t{kPgEpochDays} * 86400 * 1000000;

bool IsScalar(const TypeNode& type) {
  switch (type.kind) {
    case TypeKind::kList:
    case TypeKind::kArray:
    case TypeKind::kStruct:
    case TypeKind::kMap:
    case TypeKind::kOther:
      return false;
    default:
      return true;
  }
}

uint32_t ScalarOid(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean:
      return 16;
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kUTinyInt:
      return 21;
    case TypeKind::kInteger:
    case TypeKind::kUSmallInt:
      return 23;
    case TypeKind::kBigInt:
    case TypeKind::kUInteger:
      return 20;
    case TypeKind::kUBigInt:
    case TypeKind::kHugeInt:
    case TypeKind::kUHugeInt:
    case TypeKind::kDecimal:
      return 1700;
    case TypeKind::kFloat:
      return 700;
    case TypeKind::kDouble:
      return 701;
    case TypeKind::kBlob:
      return 17;
    case TypeKind::kDate:
      return 1082;
    case TypeKind::kTime:
      return 1083;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampS:
    case TypeKind::kTimestampMs:
    case TypeKind::kTimestampNs:
      return 1114;
    case TypeKind::kTimestampTz:
      return 1184;
    case TypeKind::kInterval:
      return 1186;
    case TypeKind::kUuid:
      return 2950;
    default:
      return kTextOid;  // VARCHAR, ENUM and everything printed as DuckDB's text
  }
}

uint32_t ArrayOid(uint32_t element_oid) {
  switch (element_oid) {
    case 16:
      return 1000;
    case 21:
      return 1005;
    case 23:
      return 1007;
    case 20:
      return 1016;
    case 1700:
      return 1231;
    case 700:
      return 1021;
    case 701:
      return 1022;
    case 17:
      return 1001;
    case 1082:
      return 1182;
    case 1083:
      return 1183;
    case 1114:
      return 1115;
    case 1184:
      return 1185;
    case 1186:
      return 1187;
    case 2950:
      return 2951;
    default:
      return 1009;  // _text
  }
}

bool IsPgArray(const TypeNode& type) {
  return (type.kind == TypeKind::kList || type.kind == TypeKind::kArray) && IsScalar(type.children[0]);
}

template <typename T>
void PutBigEndian(T value, std::string* out) {
  using U = std::make_unsigned_t<T>;
  const auto bits = static_cast<U>(value);
  for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8) {
    *out += static_cast<char>((bits >> shift) & 0xFF);
  }
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? INT64_MIN : INT64_MAX;
  return r;
}

bool IsInfinite(int64_t value) {
  return value == kTimestampInfinity || value == -kTimestampInfinity || value == INT64_MIN;
}

// A timestamp of any DuckDB precision in microseconds (nanoseconds truncated toward the past).
int64_t ToMicros(int64_t value, TypeKind kind) {
  if (IsInfinite(value)) return value;
  switch (kind) {
    case TypeKind::kTimestampS:
      return SaturatingMul(value, 1000000);
    case TypeKind::kTimestampMs:
      return SaturatingMul(value, 1000);
    case TypeKind::kTimestampNs:
      return FloorDiv(value, 1000);
    default:
      return value;
  }
}

void AppendPgDate(int32_t days, std::string* out) {
  if (days == kDateInfinity || days == -kDateInfinity) {
    *out += days > 0 ? "infinity" : "-infinity";
    return;
  }
  const CivilDate date = CivilFromDays(days);
  AppendCivilDate(date, DateStyle::kPg, out);
  if (date.year <= 0) *out += " BC";
}

// An array element's text, quoted as array_out does: when empty, NULL, or holding " \ { } , or
// white space.
void AppendArrayElement(std::string_view text, std::string* out) {
  bool quote = text.empty() || (text.size() == 4 && (text[0] | 0x20) == 'n' && (text[1] | 0x20) == 'u' &&
                                (text[2] | 0x20) == 'l' && (text[3] | 0x20) == 'l');
  for (char c : text) {
    if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
        c == '\v' || c == '\f') {
      quote = true;
    }
  }
  if (!quote) {
    *out += text;
    return;
  }
  *out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '"';
}

struct Elements {
  duckdb_vector child;
  uint64_t offset;
  uint64_t length;
};

Elements ElementsOf(const TypeNode& type, duckdb_vector vector, uint64_t row) {
  if (type.kind == TypeKind::kArray) {
    return {duckdb_array_vector_get_child(vector), row * type.array_size, type.array_size};
  }
  const auto entry = Read<duckdb_list_entry>(vector, row);
  return {duckdb_list_vector_get_child(vector), entry.offset, entry.length};
}

// numeric_send: ndigits, weight, sign, dscale (int16 each), then base-10000 digits, most
// significant first, without leading or trailing zero digits.
void AppendNumericBinary(const BigNumber& number, std::string* out) {
  std::string digits;
  AppendUInt128(number.magnitude, &digits);
  const auto scale = static_cast<size_t>(number.scale);
  if (digits.size() < scale + 1) digits.insert(0, scale + 1 - digits.size(), '0');
  std::string integer = digits.substr(0, digits.size() - scale);
  std::string fraction = digits.substr(digits.size() - scale);
  integer.insert(0, (4 - integer.size() % 4) % 4, '0');
  fraction.append((4 - fraction.size() % 4) % 4, '0');
  const std::string all = integer + fraction;
  std::vector<int16_t> groups;
  for (size_t i = 0; i < all.size(); i += 4) {
    groups.push_back(static_cast<int16_t>((all[i] - '0') * 1000 + (all[i + 1] - '0') * 100 + (all[i + 2] - '0') * 10 +
                                          (all[i + 3] - '0')));
  }
  auto weight = static_cast<int16_t>(integer.size() / 4 - 1);
  size_t first = 0;
  size_t last = groups.size();
  while (first < last && groups[first] == 0) {
    ++first;
    --weight;
  }
  while (last > first && groups[last - 1] == 0) --last;
  const bool zero = first == last;
  PutBigEndian(static_cast<int16_t>(last - first), out);
  PutBigEndian(static_cast<int16_t>(zero ? 0 : weight), out);
  PutBigEndian(static_cast<uint16_t>(number.negative && !zero ? 0x4000 : 0x0000), out);
  PutBigEndian(static_cast<int16_t>(number.scale), out);
  for (size_t i = first; i < last; ++i) PutBigEndian(groups[i], out);
}

void AppendArrayBinary(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  const Elements elements = ElementsOf(type, vector, row);
  const TypeNode& element = type.children[0];
  bool has_null = false;
  for (uint64_t i = 0; i < elements.length; ++i) has_null |= !RowValid(elements.child, elements.offset + i);
  PutBigEndian(int32_t{elements.length == 0 ? 0 : 1}, out);
  PutBigEndian(int32_t{has_null ? 1 : 0}, out);
  PutBigEndian(ScalarOid(element.kind), out);
  if (elements.length == 0) return;
  PutBigEndian(static_cast<int32_t>(elements.length), out);
  PutBigEndian(int32_t{1}, out);  // lower bound
  std::string value;
  for (uint64_t i = 0; i < elements.length; ++i) {
    if (!RowValid(elements.child, elements.offset + i)) {
      PutBigEndian(int32_t{-1}, out);
      continue;
    }
    value.clear();
    AppendPgBinaryValue(element, elements.child, elements.offset + i, &value);
    PutBigEndian(static_cast<int32_t>(value.size()), out);
    *out += value;
  }
}

}  // namespace

uint32_t PgOid(const TypeNode& type) {
  if (IsPgArray(type)) return ArrayOid(ScalarOid(type.children[0].kind));
  return IsScalar(type) ? ScalarOid(type.kind) : kTextOid;
}

void AppendPgTextValue(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      *out += Read<bool>(vector, row) ? 't' : 'f';
      return;
    case TypeKind::kFloat:
      return AppendFloat(Read<float>(vector, row), FloatStyle::kPgFloat4, out);
    case TypeKind::kDouble:
      return AppendDouble(Read<double>(vector, row), FloatStyle::kPgFloat8, out);
    case TypeKind::kBlob: {
      const std::string_view bytes = ReadString(vector, row);
      *out += "\\x";
      for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        *out += kHexLower[c >> 4];
        *out += kHexLower[c & 0xF];
      }
      return;
    }
    case TypeKind::kDecimal:
      return AppendBigNumber(ReadBigNumber(type, vector, row), out);  // -0.5, not -.5
    case TypeKind::kDate:
      return AppendPgDate(Read<int32_t>(vector, row), out);
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampS:
    case TypeKind::kTimestampMs:
    case TypeKind::kTimestampNs:
    case TypeKind::kTimestampTz: {
      const int64_t micros = ToMicros(Read<int64_t>(vector, row), type.kind);
      return AppendTimestamp(micros, 6, type.kind == TypeKind::kTimestampTz, DateStyle::kPg, out);
    }
    case TypeKind::kInterval:
      return AppendPgInterval(Read<duckdb_interval>(vector, row), out);
    case TypeKind::kList:
    case TypeKind::kArray: {
      if (!IsPgArray(type)) break;
      const Elements elements = ElementsOf(type, vector, row);
      *out += '{';
      std::string text;
      for (uint64_t i = 0; i < elements.length; ++i) {
        if (i > 0) *out += ',';
        if (!RowValid(elements.child, elements.offset + i)) {
          *out += "NULL";
          continue;
        }
        text.clear();
        AppendPgTextValue(type.children[0], elements.child, elements.offset + i, &text);
        AppendArrayElement(text, out);
      }
      *out += '}';
      return;
    }
    default:
      break;
  }
  // Integers, numerics, text, times and UUIDs print as DuckDB prints them; the rest is DuckDB's text.
  AppendDuckText(type, vector, row, out);
}

void AppendPgBinaryValue(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      *out += static_cast<char>(Read<bool>(vector, row) ? 1 : 0);
      return;
    case TypeKind::kTinyInt:
      return PutBigEndian(static_cast<int16_t>(Read<int8_t>(vector, row)), out);
    case TypeKind::kUTinyInt:
      return PutBigEndian(static_cast<int16_t>(Read<uint8_t>(vector, row)), out);
    case TypeKind::kSmallInt:
      return PutBigEndian(Read<int16_t>(vector, row), out);
    case TypeKind::kInteger:
      return PutBigEndian(Read<int32_t>(vector, row), out);
    case TypeKind::kUSmallInt:
      return PutBigEndian(static_cast<int32_t>(Read<uint16_t>(vector, row)), out);
    case TypeKind::kBigInt:
      return PutBigEndian(Read<int64_t>(vector, row), out);
    case TypeKind::kUInteger:
      return PutBigEndian(static_cast<int64_t>(Read<uint32_t>(vector, row)), out);
    case TypeKind::kUBigInt:
    case TypeKind::kHugeInt:
    case TypeKind::kUHugeInt:
    case TypeKind::kDecimal:
      return AppendNumericBinary(ReadBigNumber(type, vector, row), out);
    case TypeKind::kFloat:
      return PutBigEndian(std::bit_cast<uint32_t>(Read<float>(vector, row)), out);
    case TypeKind::kDouble:
      return PutBigEndian(std::bit_cast<uint64_t>(Read<double>(vector, row)), out);
    case TypeKind::kVarchar:
    case TypeKind::kBlob:
      *out += ReadString(vector, row);
      return;
    case TypeKind::kDate: {
      const int32_t days = Read<int32_t>(vector, row);
      if (days == kDateInfinity) return PutBigEndian(INT32_MAX, out);
      if (days == -kDateInfinity) return PutBigEndian(INT32_MIN, out);
      // DuckDB's earliest dates do not fit 32 bits from PostgreSQL's epoch: they saturate to -infinity.
      const int64_t pg_days = int64_t{days} - kPgEpochDays;
      return PutBigEndian(static_cast<int32_t>(pg_days < INT32_MIN ? INT32_MIN : pg_days), out);
    }
    case TypeKind::kTime:
      return PutBigEndian(Read<int64_t>(vector, row), out);
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampS:
    case TypeKind::kTimestampMs:
    case TypeKind::kTimestampNs:
    case TypeKind::kTimestampTz: {
      // Infinities are PostgreSQL's DT_NOEND / DT_NOBEGIN; values beyond its range saturate to them.
      const int64_t value = Read<int64_t>(vector, row);
      if (value == kTimestampInfinity) return PutBigEndian(INT64_MAX, out);
      if (value == -kTimestampInfinity || value == INT64_MIN) return PutBigEndian(INT64_MIN, out);
      return PutBigEndian(SaturatingSub(ToMicros(value, type.kind), kPgEpochMicros), out);
    }
    case TypeKind::kInterval: {
      const auto interval = Read<duckdb_interval>(vector, row);
      PutBigEndian(interval.micros, out);
      PutBigEndian(interval.days, out);
      PutBigEndian(interval.months, out);
      return;
    }
    case TypeKind::kUuid: {
      const auto value = Read<duckdb_hugeint>(vector, row);
      PutBigEndian(static_cast<uint64_t>(value.upper) ^ (uint64_t{1} << 63), out);
      PutBigEndian(value.lower, out);
      return;
    }
    case TypeKind::kList:
    case TypeKind::kArray:
      if (IsPgArray(type)) return AppendArrayBinary(type, vector, row, out);
      break;
    default:
      break;
  }
  // text's binary format is its bytes: ENUM and everything sent as text.
  AppendPgTextValue(type, vector, row, out);
}

}  // namespace lagoa::sql::internal

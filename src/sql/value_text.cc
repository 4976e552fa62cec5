// DuckDB's own formats of a value: its text (CAST(x AS VARCHAR), nested values as DuckDB 1.4
// prints them) and its JSON (to_json, which DuckDB writes with yyjson).
#include <cmath>
#include <cstring>

#include "base/assert.h"
#include "sql/value_format_internal.h"

namespace lagoa::sql::internal {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsNested(const TypeNode& type) {
  return type.kind == TypeKind::kList || type.kind == TypeKind::kArray || type.kind == TypeKind::kStruct ||
         type.kind == TypeKind::kMap || type.id == DUCKDB_TYPE_UNION;
}

template <typename T>
void AppendInteger(T value, std::string* out) {
  *out += std::to_string(value);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// DuckDB quotes a scalar's text inside a nested value when it is empty, starts or ends with white
// space, reads NULL, or holds one of "'(),:=[]{}; inside quotes ' and \ are escaped with \.
bool NeedsQuotes(std::string_view text) {
  if (text.empty() || IsSpace(text.front()) || (text.size() >= 2 && IsSpace(text.back()))) return true;
  if (text.size() == 4 && (text[0] | 0x20) == 'n' && (text[1] | 0x20) == 'u' && (text[2] | 0x20) == 'l' &&
      (text[3] | 0x20) == 'l') {
    return true;
  }
  return text.find_first_of("\"'(),:=[]{}") != std::string_view::npos;
}

void AppendEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    if (c == '\'' || c == '\\') *out += '\\';
    *out += c;
  }
}

void AppendNestedChild(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  if (!RowValid(vector, row)) {
    *out += "NULL";
    return;
  }
  if (IsNested(type)) return AppendDuckText(type, vector, row, out);
  std::string text;
  AppendDuckText(type, vector, row, &text);
  if (!NeedsQuotes(text)) {
    *out += text;
    return;
  }
  *out += '\'';
  AppendEscaped(text, out);
  *out += '\'';
}

void AppendJsonString(std::string_view text, std::string* out) {
  *out += '"';
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          *out += kHexUpper[c >> 4];
          *out += kHexUpper[c & 0xF];
        } else {
          *out += ch;
        }
    }
  }
  *out += '"';
}

// A JSON value (DuckDB checked it when it made it) without the white space between tokens, as
// to_json writes it after parsing. Numbers are copied as written, where to_json would reformat
// them (1e2 becomes 100.0).
void AppendMinifiedJson(std::string_view json, std::string* out) {
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      *out += c;
      if (c == '\\' && i + 1 < json.size()) {
        *out += json[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      *out += c;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      *out += c;
    }
  }
}

// The elements of a LIST, MAP (a list of key/value structs) or ARRAY cell: child vector and range.
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

void AppendEnum(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  uint64_t index;
  switch (type.storage) {
    case DUCKDB_TYPE_UTINYINT:
      index = Read<uint8_t>(vector, row);
      break;
    case DUCKDB_TYPE_USMALLINT:
      index = Read<uint16_t>(vector, row);
      break;
    default:
      index = Read<uint32_t>(vector, row);
      break;
  }
  LAGOA_ASSERT(index < type.enum_values.size());
  *out += type.enum_values[index];
}

void AppendDate(int32_t days, std::string* out) {
  if (days == kDateInfinity || days == -kDateInfinity) {
    *out += days > 0 ? "infinity" : "-infinity";
    return;
  }
  AppendCivilDate(CivilFromDays(days), DateStyle::kDuck, out);
}

// TIME WITH TIME ZONE: the time, then the offset as +HH[:MM[:SS]].
void AppendTimeTz(duckdb_time_tz value, std::string* out) {
  const duckdb_time_tz_struct parts = duckdb_from_time_tz(value);
  const int64_t micros =
      ((parts.time.hour * int64_t{60} + parts.time.min) * 60 + parts.time.sec) * 1000000 + parts.time.micros;
  AppendTimeOfDay(micros, 6, out);
  const int32_t offset = parts.offset < 0 ? -parts.offset : parts.offset;
  *out += parts.offset < 0 ? '-' : '+';
  auto two = [&](int v) {
    *out += static_cast<char>('0' + v / 10);
    *out += static_cast<char>('0' + v % 10);
  };
  two(offset / 3600);
  if (offset % 3600 != 0) {
    *out += ':';
    two(offset / 60 % 60);
    if (offset % 60 != 0) {
      *out += ':';
      two(offset % 60);
    }
  }
}

// BIT: one byte of padding-bit count, then the bits, most significant first.
void AppendBits(std::string_view bytes, std::string* out) {
  if (bytes.empty()) return;
  const auto padding = static_cast<unsigned char>(bytes[0]);
  const size_t bits = (bytes.size() - 1) * 8;
  for (size_t i = padding; i < bits; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[1 + i / 8]);
    *out += ((byte >> (7 - i % 8)) & 1) != 0 ? '1' : '0';
  }
}

// The active member of a UNION cell: its index among the members (children 1.. of the struct
// vector; child 0 holds the tag).
uint8_t UnionTag(duckdb_vector vector, uint64_t row) {
  return Read<uint8_t>(duckdb_struct_vector_get_child(vector, 0), row);
}

void AppendOtherText(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.id) {
    case DUCKDB_TYPE_TIME_TZ:
      return AppendTimeTz(Read<duckdb_time_tz>(vector, row), out);
    case DUCKDB_TYPE_TIME_NS:
      return AppendTimeOfDay(Read<int64_t>(vector, row), 9, out);
    case DUCKDB_TYPE_BIT:
      return AppendBits(ReadString(vector, row), out);
    case DUCKDB_TYPE_UNION: {
      const uint8_t tag = UnionTag(vector, row);
      LAGOA_ASSERT(tag < type.children.size());
      duckdb_vector member = duckdb_struct_vector_get_child(vector, tag + 1);
      if (!RowValid(member, row)) {
        *out += "NULL";
        return;
      }
      return AppendDuckText(type.children[tag], member, row, out);
    }
    default:
      LAGOA_ASSERT_MSG(false, "type not readable; the query must CAST it to VARCHAR");
  }
}

}  // namespace

void AppendDuckText(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      *out += Read<bool>(vector, row) ? "true" : "false";
      return;
    case TypeKind::kTinyInt:
      return AppendInteger(static_cast<int>(Read<int8_t>(vector, row)), out);
    case TypeKind::kSmallInt:
      return AppendInteger(Read<int16_t>(vector, row), out);
    case TypeKind::kInteger:
      return AppendInteger(Read<int32_t>(vector, row), out);
    case TypeKind::kBigInt:
      return AppendInteger(Read<int64_t>(vector, row), out);
    case TypeKind::kUTinyInt:
      return AppendInteger(static_cast<unsigned>(Read<uint8_t>(vector, row)), out);
    case TypeKind::kUSmallInt:
      return AppendInteger(Read<uint16_t>(vector, row), out);
    case TypeKind::kUInteger:
      return AppendInteger(Read<uint32_t>(vector, row), out);
    case TypeKind::kUBigInt:
    case TypeKind::kHugeInt:
    case TypeKind::kUHugeInt:
    case TypeKind::kDecimal:
      return AppendBigNumber(ReadBigNumber(type, vector, row), out, type.decimal_width != type.decimal_scale);
    case TypeKind::kFloat:
      return AppendFloat(Read<float>(vector, row), FloatStyle::kDuckText, out);
    case TypeKind::kDouble:
      return AppendDouble(Read<double>(vector, row), FloatStyle::kDuckText, out);
    case TypeKind::kVarchar:
      *out += ReadString(vector, row);
      return;
    case TypeKind::kBlob:
      return AppendDuckBlob(ReadString(vector, row), out);
    case TypeKind::kEnum:
      return AppendEnum(type, vector, row, out);
    case TypeKind::kDate:
      return AppendDate(Read<int32_t>(vector, row), out);
    case TypeKind::kTime:
      return AppendTimeOfDay(Read<int64_t>(vector, row), 6, out);
    case TypeKind::kTimestamp:
      return AppendTimestamp(Read<int64_t>(vector, row), 6, false, DateStyle::kDuck, out);
    case TypeKind::kTimestampTz:
      return AppendTimestamp(Read<int64_t>(vector, row), 6, true, DateStyle::kDuck, out);
    case TypeKind::kTimestampS:
      return AppendTimestamp(Read<int64_t>(vector, row), 0, false, DateStyle::kDuck, out);
    case TypeKind::kTimestampMs:
      return AppendTimestamp(Read<int64_t>(vector, row), 3, false, DateStyle::kDuck, out);
    case TypeKind::kTimestampNs:
      return AppendTimestamp(Read<int64_t>(vector, row), 9, false, DateStyle::kDuck, out);
    case TypeKind::kInterval:
      return AppendDuckInterval(Read<duckdb_interval>(vector, row), out);
    case TypeKind::kUuid:
      return AppendUuid(Read<duckdb_hugeint>(vector, row), out);
    case TypeKind::kList:
    case TypeKind::kArray: {
      const Elements elements = ElementsOf(type, vector, row);
      *out += '[';
      for (uint64_t i = 0; i < elements.length; ++i) {
        if (i > 0) *out += ", ";
        AppendNestedChild(type.children[0], elements.child, elements.offset + i, out);
      }
      *out += ']';
      return;
    }
    case TypeKind::kStruct: {
      // Unnamed structs (row(1, 'a')) print as (1, a).
      const bool unnamed = !type.names.empty() && type.names[0].empty();
      *out += unnamed ? '(' : '{';
      for (size_t i = 0; i < type.children.size(); ++i) {
        if (i > 0) *out += ", ";
        if (!unnamed) {
          *out += '\'';
          AppendEscaped(type.names[i], out);
          *out += "': ";
        }
        AppendNestedChild(type.children[i], duckdb_struct_vector_get_child(vector, i), row, out);
      }
      *out += unnamed ? ')' : '}';
      return;
    }
    case TypeKind::kMap: {
      const Elements elements = ElementsOf(type, vector, row);
      duckdb_vector keys = duckdb_struct_vector_get_child(elements.child, 0);
      duckdb_vector values = duckdb_struct_vector_get_child(elements.child, 1);
      *out += '{';
      for (uint64_t i = 0; i < elements.length; ++i) {
        if (i > 0) *out += ", ";
        AppendNestedChild(type.children[0], keys, elements.offset + i, out);
        *out += '=';
        AppendNestedChild(type.children[1], values, elements.offset + i, out);
      }
      *out += '}';
      return;
    }
    case TypeKind::kOther:
      return AppendOtherText(type, vector, row, out);
  }
}

void AppendDuckJson(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out) {
  switch (type.kind) {
    case TypeKind::kBoolean:
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kInteger:
    case TypeKind::kBigInt:
    case TypeKind::kUTinyInt:
    case TypeKind::kUSmallInt:
    case TypeKind::kUInteger:
    case TypeKind::kUBigInt:
    case TypeKind::kHugeInt:
    case TypeKind::kUHugeInt:
      return AppendDuckText(type, vector, row, out);
    case TypeKind::kDecimal: {
      // to_json writes DECIMALs of up to 9 digits as doubles (-9 is -9.0), wider ones exactly.
      const BigNumber number = ReadBigNumber(type, vector, row);
      if (type.decimal_width <= 9) {
        double value = static_cast<double>(number.magnitude) / std::pow(10.0, number.scale);
        return AppendDouble(number.negative ? -value : value, FloatStyle::kJson, out);
      }
      // Deliberately unlike to_json, which drops the 0 of DECIMAL(w,w) values (-.5, not JSON).
      return AppendBigNumber(number, out);
    }
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      const double value =
          type.kind == TypeKind::kFloat ? static_cast<double>(Read<float>(vector, row)) : Read<double>(vector, row);
      // Deliberately unlike to_json, which writes NaN and Infinity (not JSON): null.
      if (!std::isfinite(value)) {
        *out += "null";
        return;
      }
      return AppendDouble(value, FloatStyle::kJson, out);
    }
    case TypeKind::kVarchar:
      if (type.json) return AppendMinifiedJson(ReadString(vector, row), out);
      return AppendJsonString(ReadString(vector, row), out);
    case TypeKind::kList:
    case TypeKind::kArray: {
      const Elements elements = ElementsOf(type, vector, row);
      *out += '[';
      for (uint64_t i = 0; i < elements.length; ++i) {
        if (i > 0) *out += ',';
        if (RowValid(elements.child, elements.offset + i)) {
          AppendDuckJson(type.children[0], elements.child, elements.offset + i, out);
        } else {
          *out += "null";
        }
      }
      *out += ']';
      return;
    }
    case TypeKind::kStruct: {
      *out += '{';
      for (size_t i = 0; i < type.children.size(); ++i) {
        if (i > 0) *out += ',';
        AppendJsonString(type.names[i], out);
        *out += ':';
        duckdb_vector field = duckdb_struct_vector_get_child(vector, i);
        if (RowValid(field, row)) {
          AppendDuckJson(type.children[i], field, row, out);
        } else {
          *out += "null";
        }
      }
      *out += '}';
      return;
    }
    case TypeKind::kMap: {
      // Keys are never NULL in a MAP; their text is the object key.
      const Elements elements = ElementsOf(type, vector, row);
      duckdb_vector keys = duckdb_struct_vector_get_child(elements.child, 0);
      duckdb_vector values = duckdb_struct_vector_get_child(elements.child, 1);
      *out += '{';
      for (uint64_t i = 0; i < elements.length; ++i) {
        if (i > 0) *out += ',';
        std::string key;
        if (RowValid(keys, elements.offset + i)) AppendDuckText(type.children[0], keys, elements.offset + i, &key);
        AppendJsonString(key, out);
        *out += ':';
        if (RowValid(values, elements.offset + i)) {
          AppendDuckJson(type.children[1], values, elements.offset + i, out);
        } else {
          *out += "null";
        }
      }
      *out += '}';
      return;
    }
    case TypeKind::kOther:
      if (type.id == DUCKDB_TYPE_UNION) {
        const uint8_t tag = UnionTag(vector, row);
        LAGOA_ASSERT(tag < type.children.size());
        duckdb_vector member = duckdb_struct_vector_get_child(vector, tag + 1);
        *out += '{';
        AppendJsonString(type.names[tag], out);
        *out += ':';
        if (RowValid(member, row)) {
          AppendDuckJson(type.children[tag], member, row, out);
        } else {
          *out += "null";
        }
        *out += '}';
        return;
      }
      break;
    default:
      break;
  }
  // Everything else (BLOB, ENUM, dates, times, intervals, UUIDs, BIT …) is a string of its text.
  std::string text;
  AppendDuckText(type, vector, row, &text);
  AppendJsonString(text, out);
}

}  // namespace lagoa::sql::internal

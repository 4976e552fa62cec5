// Binary record → one row of DuckDB vectors. One decoder walks the record for both jobs: checking
// (kWrite false: no vector is touched) and writing (kWrite true). The check mirrors
// schema::AppendRecordJson's (every length against the bytes left, every value against its type's
// range, presence padding bits, no trailing bytes) so hostile bytes give a problem, never an
// out-of-bounds read; VARCHAR and JSON bytes are also checked to be UTF-8, because DuckDB assumes
// its strings are. Writing repeats every check but UTF-8 (the only one that costs per byte), since
// it only ever sees records the check accepted. Recursion follows the type tree, at most
// schema::kTypeDepthMax + 1 levels deep.
#include "duck/record_vectors.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/assert.h"
#include "base/bytes.h"
#include "schema/record_format.h"

namespace lagoa::duck {
namespace {

using schema::Field;
using schema::Type;
using schema::TypeId;

using schema::record_format::Int128;
using schema::record_format::IsPresent;
using schema::record_format::kDateDaysMax;
using schema::record_format::kDateDaysMin;
using schema::record_format::kTimestampMicrosMax;
using schema::record_format::kTimestampMicrosMin;
using schema::record_format::PaddingBitsClear;
using schema::record_format::PowerOfTen;
using schema::record_format::PresenceBytes;
using schema::record_format::UInt128;

constexpr const char* kTruncated = "truncated";

template <typename T>
void Store(duckdb_vector vector, idx_t row, T value) {
  static_cast<T*>(duckdb_vector_get_data(vector))[row] = value;
}

// NULL at `row`; a STRUCT's fields are NULL too (DuckDB reads them when it writes Parquet), and a
// LIST's entry is made empty so nothing ever follows garbage offsets.
void SetNull(duckdb_vector vector, idx_t row, const Type& type) {
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), row);
  if (type.id() == TypeId::kList) {
    Store(vector, row, duckdb_list_entry{0, 0});
  } else if (type.id() == TypeId::kStruct) {
    const auto& fields = type.fields();
    for (size_t i = 0; i < fields.size(); ++i) SetNull(duckdb_struct_vector_get_child(vector, i), row, fields[i].type);
  }
}

// A VARCHAR value in place: short strings inline (zero-padded, as DuckDB compares all 16 bytes of
// an inlined string), longer ones as length, 4-byte prefix and pointer to `text` itself.
void StoreString(duckdb_vector vector, idx_t row, std::string_view text) {
  duckdb_string_t value;
  const auto length = static_cast<uint32_t>(text.size());
  if (length <= sizeof(value.value.inlined.inlined)) {
    std::memset(&value, 0, sizeof(value));
    value.value.inlined.length = length;
    if (length > 0) std::memcpy(value.value.inlined.inlined, text.data(), length);
  } else {
    value.value.pointer.length = length;
    std::memcpy(value.value.pointer.prefix, text.data(), sizeof(value.value.pointer.prefix));
    value.value.pointer.ptr = const_cast<char*>(text.data());  // DuckDB only reads it
  }
  Store(vector, row, value);
}

// kWrite false: checks only, `vector` and `row` are ignored (callers pass nullptr and 0);
// kCheckUtf8 false as well: only reads past the value (a column a scan does not project, of a
// record CheckRecord accepted).
template <bool kWrite, bool kCheckUtf8 = !kWrite>
class VectorDecoder {
 public:
  explicit VectorDecoder(std::span<const std::byte> record) : reader_(record) {}
  explicit VectorDecoder(const ByteReader& reader) : reader_(reader) {}

  ByteReader& reader() { return reader_; }

  const char* Value(const Type& type, duckdb_vector vector, idx_t row) {
    switch (type.id()) {
      case TypeId::kBoolean: {
        uint8_t v;
        if (!reader_.ReadFixed(&v)) return kTruncated;
        if (v > 1) return "BOOLEAN byte is neither 0 nor 1";
        Put<bool>(vector, row, v != 0);
        return nullptr;
      }
      case TypeId::kInteger:
        return Copy<int32_t>(vector, row);
      case TypeId::kBigInt:
        return Copy<int64_t>(vector, row);
      case TypeId::kDouble: {
        double v;
        if (!reader_.ReadFixed(&v)) return kTruncated;
        if (!std::isfinite(v)) return "DOUBLE is not finite";
        Put(vector, row, v);
        return nullptr;
      }
      case TypeId::kDecimal:
        return Decimal(type, vector, row);
      case TypeId::kVarchar:
      case TypeId::kJson:
        return String(type.id() == TypeId::kJson, vector, row);
      case TypeId::kDate: {
        int32_t days;
        if (!reader_.ReadFixed(&days)) return kTruncated;
        if (days < kDateDaysMin || days > kDateDaysMax) return "DATE out of range";
        Put(vector, row, duckdb_date{days});
        return nullptr;
      }
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz: {
        int64_t micros;
        if (!reader_.ReadFixed(&micros)) return kTruncated;
        if (micros < kTimestampMicrosMin || micros > kTimestampMicrosMax) return "TIMESTAMP out of range";
        Put(vector, row, duckdb_timestamp{micros});
        return nullptr;
      }
      case TypeId::kList:
        return List(type.element(), vector, row);
      case TypeId::kStruct:
        return Struct(type.fields(), vector, row);
    }
    return "unknown type";
  }

 private:
  template <typename T>
  const char* Copy(duckdb_vector vector, idx_t row) {
    T v;
    if (!reader_.ReadFixed(&v)) return kTruncated;
    Put(vector, row, v);
    return nullptr;
  }

  // DuckDB stores DECIMAL(p,s) unscaled in 2, 4, 8 or 16 bytes depending on p.
  const char* Decimal(const Type& type, duckdb_vector vector, idx_t row) {
    const int precision = type.precision();
    Int128 unscaled;
    if (precision <= schema::kDecimalPrecisionInt64Max) {
      int64_t v;
      if (!reader_.ReadFixed(&v)) return kTruncated;
      unscaled = v;
    } else {
      uint64_t low, high;
      if (!reader_.ReadFixed(&low) || !reader_.ReadFixed(&high)) return kTruncated;
      unscaled = static_cast<Int128>((static_cast<UInt128>(high) << 64) | low);
    }
    const Int128 limit = PowerOfTen(precision);
    if (unscaled >= limit || unscaled <= -limit) return "DECIMAL value has more digits than its precision";
    if constexpr (kWrite) {
      if (precision <= 4) {
        Store(vector, row, static_cast<int16_t>(unscaled));
      } else if (precision <= 9) {
        Store(vector, row, static_cast<int32_t>(unscaled));
      } else if (precision <= 18) {
        Store(vector, row, static_cast<int64_t>(unscaled));
      } else {
        const auto bits = static_cast<UInt128>(unscaled);
        Store(vector, row, duckdb_hugeint{static_cast<uint64_t>(bits), static_cast<int64_t>(bits >> 64)});
      }
    }
    return nullptr;
  }

  const char* String(bool json, duckdb_vector vector, idx_t row) {
    uint64_t size;
    if (!reader_.ReadVarint(&size)) return "truncated or invalid length";
    std::span<const std::byte> bytes;
    if (size > reader_.remaining() || !reader_.ReadBytes(static_cast<size_t>(size), &bytes)) {
      return "length exceeds the record";
    }
    if (json && bytes.empty()) return "empty JSON value";
    const std::string_view text = AsStringView(bytes);
    if constexpr (kWrite) {
      StoreString(vector, row, text);
    } else if constexpr (kCheckUtf8) {
      if (!IsValidUtf8(text)) return json ? "JSON value is not valid UTF-8" : "VARCHAR is not valid UTF-8";
    }
    return nullptr;
  }

  // varint count, presence bitmap, present elements; appended to the LIST's child vector.
  const char* List(const Type& element, duckdb_vector vector, idx_t row) {
    uint64_t count;
    if (!reader_.ReadVarint(&count)) return "truncated or invalid LIST count";
    if (count / 8 > reader_.remaining()) return "LIST count exceeds the record";
    const auto n = static_cast<size_t>(count);
    std::span<const std::byte> presence;
    if (!reader_.ReadBytes(PresenceBytes(n), &presence)) return kTruncated;
    if (!PaddingBitsClear(presence, n)) return "presence bitmap has bits past the last element";
    if constexpr (!kWrite) {
      for (size_t i = 0; i < n; ++i) {
        if (!IsPresent(presence, i)) continue;
        if (const char* problem = Value(element, nullptr, 0)) return problem;
      }
      return nullptr;
    }
    const idx_t first = duckdb_list_vector_get_size(vector);
    if (duckdb_list_vector_reserve(vector, first + n) != DuckDBSuccess ||
        duckdb_list_vector_set_size(vector, first + n) != DuckDBSuccess) {
      return "LIST too large for DuckDB";
    }
    Store(vector, row, duckdb_list_entry{first, n});
    duckdb_vector child = duckdb_list_vector_get_child(vector);
    for (size_t i = 0; i < n; ++i) {
      if (!IsPresent(presence, i)) {
        SetNull(child, first + i, element);
        continue;
      }
      if (const char* problem = Value(element, child, first + i)) return problem;
    }
    return nullptr;
  }

  const char* Struct(const std::vector<Field>& fields, duckdb_vector vector, idx_t row) {
    std::span<const std::byte> presence;
    if (!reader_.ReadBytes(PresenceBytes(fields.size()), &presence)) return kTruncated;
    if (!PaddingBitsClear(presence, fields.size())) return "presence bitmap has bits past the last field";
    for (size_t i = 0; i < fields.size(); ++i) {
      duckdb_vector child = kWrite ? duckdb_struct_vector_get_child(vector, i) : nullptr;
      if (!IsPresent(presence, i)) {
        if constexpr (kWrite) SetNull(child, row, fields[i].type);
        continue;
      }
      if (const char* problem = Value(fields[i].type, child, row)) return problem;
    }
    return nullptr;
  }

  template <typename T>
  static void Put(duckdb_vector vector, idx_t row, T value) {
    if constexpr (kWrite) Store(vector, row, value);
  }

  ByteReader reader_;
};

// The record's column count and presence bitmap, then each column of `latest`; `vectors` is empty
// when checking.
template <bool kWrite>
RecordProblem WalkRecord(std::span<const std::byte> record, const schema::Schema& schema,
                         const std::vector<Field>& latest, std::span<const duckdb_vector> vectors, idx_t row) {
  LAGOA_ASSERT(schema.fields.size() <= latest.size() && (!kWrite || vectors.size() >= latest.size()));
  VectorDecoder<kWrite> decoder(record);
  ByteReader& reader = decoder.reader();
  uint64_t columns;
  if (!reader.ReadVarint(&columns)) return {"truncated or invalid column count"};
  if (columns > schema.fields.size()) return {"record has more columns than its schema version"};
  const auto n = static_cast<size_t>(columns);
  std::span<const std::byte> presence;
  if (!reader.ReadBytes(PresenceBytes(n), &presence)) return {"truncated presence bitmap"};
  if (!PaddingBitsClear(presence, n)) return {"presence bitmap has bits past the last column"};
  for (size_t i = 0; i < latest.size(); ++i) {
    const Field& field = latest[i];
    duckdb_vector vector = kWrite ? vectors[i] : nullptr;
    if (i >= n || !IsPresent(presence, i)) {
      // A NOT NULL column of the record's own version must be there; later columns are nullable.
      if (!field.nullable && i < schema.fields.size()) return {"NOT NULL column is absent", static_cast<int>(i)};
      if constexpr (kWrite) {
        if (vector != nullptr) SetNull(vector, row, field.type);
      }
      continue;
    }
    if (kWrite && vector == nullptr) {  // not projected: read past it
      VectorDecoder<false, false> skipper(reader);
      if (const char* problem = skipper.Value(field.type, nullptr, 0)) return {problem, static_cast<int>(i)};
      reader = skipper.reader();
      continue;
    }
    if (const char* problem = decoder.Value(field.type, vector, row)) return {problem, static_cast<int>(i)};
  }
  if (reader.remaining() != 0) return {"bytes after the last column"};
  return {};
}

}  // namespace

std::byte* ByteArena::Allocate(size_t size) {
  if (size > left_bytes_) {
    const size_t block_bytes = std::max(size, kBlockBytes);
    blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(block_bytes));
    next_ = blocks_.back().get();
    left_bytes_ = block_bytes;
  }
  std::byte* bytes = next_;
  next_ += size;
  left_bytes_ -= size;
  return bytes;
}

void ByteArena::Clear() {
  blocks_.clear();
  next_ = nullptr;
  left_bytes_ = 0;
}

RecordProblem CheckRecord(std::span<const std::byte> record, const schema::Schema& schema,
                          const std::vector<Field>& latest) {
  return WalkRecord<false>(record, schema, latest, {}, 0);
}

RecordProblem DecodeRecordRow(std::span<const std::byte> record, const schema::Schema& schema,
                              const std::vector<Field>& latest, std::span<const duckdb_vector> vectors, idx_t row) {
  return WalkRecord<true>(record, schema, latest, vectors, row);
}

void OwnStrings(duckdb_vector vector, const Type& type, idx_t rows) {
  switch (type.id()) {
    case TypeId::kVarchar:
    case TypeId::kJson: {
      auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t row = 0; row < rows; ++row) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, row)) continue;
        if (duckdb_string_is_inlined(strings[row])) continue;
        const duckdb_string_t value = strings[row];  // assigning rewrites strings[row]
        duckdb_vector_assign_string_element_len(vector, row, value.value.pointer.ptr, value.value.pointer.length);
      }
      return;
    }
    case TypeId::kList:
      OwnStrings(duckdb_list_vector_get_child(vector), type.element(), duckdb_list_vector_get_size(vector));
      return;
    case TypeId::kStruct: {
      const auto& fields = type.fields();
      for (size_t i = 0; i < fields.size(); ++i)
        OwnStrings(duckdb_struct_vector_get_child(vector, i), fields[i].type, rows);
      return;
    }
    default:
      return;
  }
}

LogicalTypeHandle MakeLogicalType(const Type& type) {
  switch (type.id()) {
    case TypeId::kBoolean:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN));
    case TypeId::kInteger:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_INTEGER));
    case TypeId::kBigInt:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
    case TypeId::kDouble:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE));
    case TypeId::kDecimal:
      return LogicalTypeHandle(
          duckdb_create_decimal_type(static_cast<uint8_t>(type.precision()), static_cast<uint8_t>(type.scale())));
    case TypeId::kVarchar:
    case TypeId::kJson:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
    case TypeId::kDate:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_DATE));
    // Both are UTC microseconds, and the Delta schema says `timestamp` (an instant) for both: the
    // Parquet column must then be annotated isAdjustedToUTC=true, which DuckDB writes for
    // TIMESTAMP WITH TIME ZONE, or Spark and Trino would read a TIMESTAMP column as local time.
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));
    case TypeId::kList: {
      LogicalTypeHandle child = MakeLogicalType(type.element());
      return LogicalTypeHandle(duckdb_create_list_type(child.get()));
    }
    case TypeId::kStruct: {
      const auto& fields = type.fields();
      LogicalTypeList children;
      std::vector<const char*> names;
      for (const Field& field : fields) {
        children.push_back(MakeLogicalType(field.type));
        names.push_back(field.name.c_str());
      }
      return LogicalTypeHandle(duckdb_create_struct_type(children.data(), names.data(), children.size()));
    }
  }
  LAGOA_ASSERT_MSG(false, "unknown lagoa type");
  return {};
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    // Eight ASCII bytes at a time: the common case for identifiers, URLs and most text.
    if (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      code_point = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      code_point = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (size - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (s[i + k] & 0x3F);
    }
    if ((length == 3 && code_point < 0x800) || (length == 4 && (code_point < 0x10000 || code_point > 0x10FFFF)) ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace lagoa::duck

// ChunkStats: min/max and null counts over completed DuckDB chunks, read straight from the
// vectors' data and validity masks. Strings are compared as bytes, which is DuckDB's VARCHAR order.
#include "lake/load/chunk_stats_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "base/assert.h"
#include "base/clock.h"
#include "base/json_writer.h"

namespace lagoa::lake::internal {
namespace {

using schema::Field;
using schema::Type;
using schema::TypeId;
using schema::record_format::Int128;
using schema::record_format::UInt128;

bool IsValid(const uint64_t* validity, idx_t row) {
  return validity == nullptr || duckdb_validity_row_is_valid(const_cast<uint64_t*>(validity), row);
}

// Min/max of rows [0, rows) of a fixed-width vector; false when every row is NULL.
template <typename T>
bool FixedMinMax(duckdb_vector vector, idx_t rows, T* min, T* max) {
  const T* data = static_cast<const T*>(duckdb_vector_get_data(vector));
  const uint64_t* validity = duckdb_vector_get_validity(vector);
  bool any = false;
  for (idx_t r = 0; r < rows; ++r) {
    if (!IsValid(validity, r)) continue;
    const T v = data[r];
    if (!any) {
      *min = v;
      *max = v;
      any = true;
    } else {
      if (v < *min) *min = v;
      if (*max < v) *max = v;
    }
  }
  return any;
}

std::string_view StringAt(duckdb_string_t* data, idx_t row) {
  return {duckdb_string_t_data(&data[row]), duckdb_string_t_length(data[row])};
}

std::string FormatInt128(Int128 value) {
  if (value >= INT64_MIN && value <= INT64_MAX) return std::to_string(static_cast<int64_t>(value));
  UInt128 magnitude = value < 0 ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string digits;
  while (magnitude > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  if (value < 0) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

bool HasMinMax(const Type& type) {
  switch (type.id()) {
    case TypeId::kInteger:
    case TypeId::kBigInt:
    case TypeId::kDouble:
    case TypeId::kDecimal:
    case TypeId::kVarchar:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return true;
    default:
      return false;
  }
}

std::string FormatDecimal(Int128 unscaled, int scale) {
  const Int128 unit = schema::record_format::PowerOfTen(scale);
  const UInt128 magnitude = unscaled < 0 ? -static_cast<UInt128>(unscaled) : static_cast<UInt128>(unscaled);
  std::string text = unscaled < 0 ? "-" : "";
  text += FormatInt128(static_cast<Int128>(magnitude / static_cast<UInt128>(unit)));
  if (scale > 0) {
    const std::string fraction = FormatInt128(static_cast<Int128>(magnitude % static_cast<UInt128>(unit)));
    text += '.';
    text.append(static_cast<size_t>(scale) - fraction.size(), '0');
    text += fraction;
  }
  return text;
}

// Days to a civil date: the proleptic Gregorian algorithm of H. Hinnant's "chrono-compatible
// low-level date algorithms" (public domain description).
std::string FormatDate(int32_t days) {
  const int64_t z = static_cast<int64_t>(days) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

ChunkStats::ChunkStats(std::vector<Field> fields) : fields_(std::move(fields)) { Reset(); }

void ChunkStats::Reset() {
  ranges_.assign(fields_.size(), Range{});
  nulls_.clear();
  for (const Field& field : fields_) nulls_.push_back(MakeNulls(field.type));
  rows_ = 0;
}

ChunkStats::Nulls ChunkStats::MakeNulls(const Type& type) {
  Nulls nulls;
  if (type.id() == TypeId::kStruct) {
    for (const Field& field : type.fields()) nulls.fields.push_back(MakeNulls(field.type));
  }
  return nulls;
}

void ChunkStats::Add(std::span<const duckdb_vector> vectors, idx_t rows) {
  LAGOA_ASSERT(vectors.size() >= fields_.size());
  for (size_t c = 0; c < fields_.size(); ++c) {
    if (HasMinMax(fields_[c].type)) AddRange(fields_[c].type, vectors[c], rows, ranges_[c]);
    AddNulls(fields_[c].type, vectors[c], rows, nulls_[c]);
  }
  rows_ += rows;
}

void ChunkStats::Merge(const ChunkStats& other) {
  LAGOA_ASSERT(other.fields_.size() == fields_.size());
  for (size_t c = 0; c < fields_.size(); ++c) {
    const Range& from = other.ranges_[c];
    Range& into = ranges_[c];
    if (from.any) {
      if (!into.any) {
        into = from;
      } else {
        into.min_int = std::min(into.min_int, from.min_int);
        into.max_int = std::max(into.max_int, from.max_int);
        into.min_double = std::min(into.min_double, from.min_double);
        into.max_double = std::max(into.max_double, from.max_double);
        if (from.min_string < into.min_string) into.min_string = from.min_string;
        if (into.max_string < from.max_string) into.max_string = from.max_string;
      }
    }
    MergeNulls(other.nulls_[c], nulls_[c]);
  }
  rows_ += other.rows_;
}

void ChunkStats::MergeNulls(const Nulls& from, Nulls& into) {
  into.count += from.count;
  for (size_t i = 0; i < from.fields.size(); ++i) MergeNulls(from.fields[i], into.fields[i]);
}

void ChunkStats::AddRange(const Type& type, duckdb_vector vector, idx_t rows, Range& range) {
  auto merge_int = [&range](Int128 min, Int128 max) {
    range.min_int = range.any ? std::min(range.min_int, min) : min;
    range.max_int = range.any ? std::max(range.max_int, max) : max;
    range.any = true;
  };
  auto add_fixed = [&]<typename T>(T*) {
    T min{}, max{};
    if (FixedMinMax<T>(vector, rows, &min, &max)) merge_int(min, max);
  };
  switch (type.id()) {
    case TypeId::kInteger:
    case TypeId::kDate:  // duckdb_date is one int32_t of days
      return add_fixed(static_cast<int32_t*>(nullptr));
    case TypeId::kBigInt:
    case TypeId::kTimestamp:  // duckdb_timestamp is one int64_t of microseconds
    case TypeId::kTimestampTz:
      return add_fixed(static_cast<int64_t*>(nullptr));
    case TypeId::kDecimal:
      if (type.precision() <= 4) return add_fixed(static_cast<int16_t*>(nullptr));
      if (type.precision() <= 9) return add_fixed(static_cast<int32_t*>(nullptr));
      if (type.precision() <= 18) return add_fixed(static_cast<int64_t*>(nullptr));
      {
        const auto* data = static_cast<const duckdb_hugeint*>(duckdb_vector_get_data(vector));
        const uint64_t* validity = duckdb_vector_get_validity(vector);
        for (idx_t r = 0; r < rows; ++r) {
          if (!IsValid(validity, r)) continue;
          const auto v =
              static_cast<Int128>((static_cast<UInt128>(static_cast<uint64_t>(data[r].upper)) << 64) | data[r].lower);
          merge_int(v, v);
        }
      }
      return;
    case TypeId::kDouble: {
      double min = 0, max = 0;
      if (!FixedMinMax<double>(vector, rows, &min, &max)) return;
      range.min_double = range.any ? std::min(range.min_double, min) : min;
      range.max_double = range.any ? std::max(range.max_double, max) : max;
      range.any = true;
      return;
    }
    case TypeId::kVarchar: {
      auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      const uint64_t* validity = duckdb_vector_get_validity(vector);
      // The chunk's own extremes first, as views; the range's strings are copied once per chunk.
      std::string_view min, max;
      bool any = false;
      for (idx_t r = 0; r < rows; ++r) {
        if (!IsValid(validity, r)) continue;
        const std::string_view v = StringAt(data, r);
        if (!any) {
          min = max = v;
          any = true;
        } else if (v < min) {
          min = v;
        } else if (max < v) {
          max = v;
        }
      }
      if (!any) return;
      if (!range.any || min < range.min_string) range.min_string.assign(min);
      if (!range.any || range.max_string < max) range.max_string.assign(max);
      range.any = true;
      return;
    }
    default:
      LAGOA_ASSERT_MSG(false, "no min/max for this type");
  }
}

void ChunkStats::AddNulls(const Type& type, duckdb_vector vector, idx_t rows, Nulls& nulls) {
  if (type.id() == TypeId::kStruct) {
    // A NULL struct's fields are NULL too (the decoder sets them), which is what Delta counts.
    const auto& fields = type.fields();
    for (size_t i = 0; i < fields.size(); ++i) {
      AddNulls(fields[i].type, duckdb_struct_vector_get_child(vector, i), rows, nulls.fields[i]);
    }
    return;
  }
  const uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity == nullptr) return;
  for (idx_t r = 0; r < rows; ++r) nulls.count += IsValid(validity, r) ? 0 : 1;
}

void ChunkStats::WriteNulls(const Type& type, const Nulls& nulls, JsonWriter& json) {
  if (type.id() != TypeId::kStruct) {
    json.Uint(nulls.count);
    return;
  }
  json.BeginObject();
  const auto& fields = type.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    json.Key(fields[i].name);
    WriteNulls(fields[i].type, nulls.fields[i], json);
  }
  json.EndObject();
}

std::optional<int64_t> ChunkStats::MinInt64(size_t column) const {
  if (!ranges_[column].any) return std::nullopt;
  return static_cast<int64_t>(ranges_[column].min_int);
}

std::optional<int64_t> ChunkStats::MaxInt64(size_t column) const {
  if (!ranges_[column].any) return std::nullopt;
  return static_cast<int64_t>(ranges_[column].max_int);
}

std::string ChunkStats::Json() const {
  JsonWriter json;
  json.BeginObject().Key("numRecords").Uint(rows_);
  for (int side = 0; side < 2; ++side) {
    const bool min = side == 0;
    json.Key(min ? "minValues" : "maxValues").BeginObject();
    for (size_t c = 0; c < fields_.size(); ++c) {
      const Range& range = ranges_[c];
      if (!HasMinMax(fields_[c].type) || !range.any) continue;  // every value NULL
      const Type& type = fields_[c].type;
      const Int128 number = min ? range.min_int : range.max_int;
      json.Key(fields_[c].name);
      switch (type.id()) {
        case TypeId::kDouble:
          json.Double(min ? range.min_double : range.max_double);
          break;
        case TypeId::kDecimal:
          json.Raw(FormatDecimal(number, type.scale()));
          break;
        case TypeId::kVarchar:
          json.String(min ? range.min_string : range.max_string);
          break;
        case TypeId::kDate:
          json.String(FormatDate(static_cast<int32_t>(number)));
          break;
        case TypeId::kTimestamp:
        case TypeId::kTimestampTz:
          json.String(FormatRfc3339Micros(static_cast<int64_t>(number)));
          break;
        default:  // INTEGER, BIGINT
          json.Int(static_cast<int64_t>(number));
      }
    }
    json.EndObject();
  }
  json.Key("nullCount").BeginObject();
  for (size_t c = 0; c < fields_.size(); ++c) {
    json.Key(fields_[c].name);
    WriteNulls(fields_[c].type, nulls_[c], json);
  }
  json.EndObject().EndObject();
  return json.Take();
}

}  // namespace lagoa::lake::internal

#include <fmt/format.h>

#include <cmath>

#include "base/assert.h"
#include "schema/record_format.h"
#include "sql/record_encoder_internal.h"

namespace lagoa::sql::internal {
namespace {

namespace format = schema::record_format;

bool IsValid(duckdb_vector vector, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
}

template <typename T>
T ValueAt(duckdb_vector vector, idx_t row) {
  return static_cast<const T*>(duckdb_vector_get_data(vector))[row];
}

// Writes the presence bitmap of `count` slots; present(i) says whether slot i holds a value.
template <typename Present>
void PutPresence(Bytes& out, size_t count, Present present) {
  const size_t at = out.size();
  out.resize(at + format::PresenceBytes(count), std::byte{0});
  for (size_t i = 0; i < count; ++i) {
    if (present(i)) out[at + i / 8] |= static_cast<std::byte>(1u << (i % 8));
  }
}

// DuckDB keeps DECIMAL(p,s) in the narrowest integer that holds p digits.
format::Int128 DecimalAt(duckdb_vector vector, idx_t row, int precision) {
  if (precision <= 4) return ValueAt<int16_t>(vector, row);
  if (precision <= 9) return ValueAt<int32_t>(vector, row);
  if (precision <= 18) return ValueAt<int64_t>(vector, row);
  const duckdb_hugeint value = ValueAt<duckdb_hugeint>(vector, row);
  return static_cast<format::Int128>(static_cast<format::UInt128>(value.upper) << 64 | value.lower);
}

}  // namespace

ChunkRecordEncoder::ChunkRecordEncoder(const schema::Schema& schema, std::optional<size_t> event_time_column,
                                       schema::EncoderOptions limits)
    : schema_(schema), event_time_column_(event_time_column), limits_(limits) {}

std::vector<duckdb_vector> ChunkRecordEncoder::Vectors(duckdb_data_chunk chunk) {
  std::vector<duckdb_vector> vectors(duckdb_data_chunk_get_column_count(chunk));
  for (size_t i = 0; i < vectors.size(); ++i) vectors[i] = duckdb_data_chunk_get_vector(chunk, i);
  return vectors;
}

Status ChunkRecordEncoder::EncodeRow(std::span<const duckdb_vector> vectors, idx_t row, Bytes& out,
                                     std::optional<int64_t>* event_time_us) const {
  out.clear();
  event_time_us->reset();
  const size_t columns = schema_.fields.size();
  LAGOA_ASSERT(vectors.size() == columns);
  for (size_t i = 0; i < columns; ++i) {
    if (!schema_.fields[i].nullable && !IsValid(vectors[i], row)) {
      return Status::InvalidArgument(fmt::format("column `{}` is NOT NULL; the row has NULL", schema_.fields[i].name));
    }
  }
  PutVarint(out, columns);
  PutPresence(out, columns, [&](size_t i) { return IsValid(vectors[i], row); });
  for (size_t i = 0; i < columns; ++i) {
    if (!IsValid(vectors[i], row)) continue;
    const schema::Field& field = schema_.fields[i];
    LAGOA_RETURN_IF_ERROR(EncodeValue(vectors[i], row, field.type, field.name, out, 0));
    if (event_time_column_ == i) *event_time_us = ValueAt<int64_t>(vectors[i], row);
  }
  if (out.size() > limits_.record_bytes_max) {
    return Status::InvalidArgument(
        fmt::format("the encoded record takes {} bytes; the limit is {}", out.size(), limits_.record_bytes_max));
  }
  return Status::Ok();
}

Status ChunkRecordEncoder::EncodeText(duckdb_vector vector, idx_t row, const std::string& path, Bytes& out) const {
  duckdb_string_t value = ValueAt<duckdb_string_t>(vector, row);
  const uint32_t length = duckdb_string_t_length(value);
  if (length > limits_.string_bytes_max) {
    return Status::InvalidArgument(fmt::format("`{}`: the text takes {} bytes; the limit is {} (string_bytes_max)",
                                               path, length, limits_.string_bytes_max));
  }
  PutVarint(out, length);
  PutBytes(out, AsBytes(std::string_view(duckdb_string_t_data(&value), length)));
  return Status::Ok();
}

Status ChunkRecordEncoder::EncodeValue(duckdb_vector vector, idx_t row, const schema::Type& type,
                                       const std::string& path, Bytes& out, int depth) const {
  LAGOA_ASSERT(depth <= schema::kTypeDepthMax);
  switch (type.id()) {
    case schema::TypeId::kBoolean:
      out.push_back(std::byte{ValueAt<bool>(vector, row) ? uint8_t{1} : uint8_t{0}});
      return Status::Ok();
    case schema::TypeId::kInteger:
      PutFixed(out, ValueAt<int32_t>(vector, row));
      return Status::Ok();
    case schema::TypeId::kBigInt:
      PutFixed(out, ValueAt<int64_t>(vector, row));
      return Status::Ok();
    case schema::TypeId::kDouble: {
      const double value = ValueAt<double>(vector, row);
      if (!std::isfinite(value)) {
        return Status::InvalidArgument(
            fmt::format("`{}`: {} is not a number lagoa stores (DOUBLE values are finite)", path, value));
      }
      PutFixed(out, value);
      return Status::Ok();
    }
    case schema::TypeId::kDecimal: {
      const format::Int128 value = DecimalAt(vector, row, type.precision());
      if (type.precision() <= schema::kDecimalPrecisionInt64Max) {
        PutFixed(out, static_cast<int64_t>(value));
      } else {
        PutFixed(out, static_cast<uint64_t>(static_cast<format::UInt128>(value)));
        PutFixed(out, static_cast<int64_t>(value >> 64));
      }
      return Status::Ok();
    }
    case schema::TypeId::kVarchar:
    case schema::TypeId::kJson:
      return EncodeText(vector, row, path, out);
    case schema::TypeId::kDate: {
      const int32_t days = ValueAt<int32_t>(vector, row);
      if (days < format::kDateDaysMin || days > format::kDateDaysMax) {
        return Status::InvalidArgument(fmt::format("`{}`: the date is outside years 0001-9999", path));
      }
      PutFixed(out, days);
      return Status::Ok();
    }
    case schema::TypeId::kTimestamp:
    case schema::TypeId::kTimestampTz: {
      const int64_t micros = ValueAt<int64_t>(vector, row);
      if (micros < format::kTimestampMicrosMin || micros > format::kTimestampMicrosMax) {
        return Status::InvalidArgument(fmt::format("`{}`: the timestamp is outside years 0001-9999", path));
      }
      PutFixed(out, micros);
      return Status::Ok();
    }
    case schema::TypeId::kList: {
      const duckdb_list_entry entry = ValueAt<duckdb_list_entry>(vector, row);
      duckdb_vector child = duckdb_list_vector_get_child(vector);
      PutVarint(out, entry.length);
      PutPresence(out, entry.length, [&](size_t i) { return IsValid(child, entry.offset + i); });
      for (idx_t i = 0; i < entry.length; ++i) {
        if (!IsValid(child, entry.offset + i)) continue;
        LAGOA_RETURN_IF_ERROR(
            EncodeValue(child, entry.offset + i, type.element(), fmt::format("{}[{}]", path, i + 1), out, depth + 1));
      }
      return Status::Ok();
    }
    case schema::TypeId::kStruct: {
      const std::vector<schema::Field>& fields = type.fields();
      PutPresence(out, fields.size(),
                  [&](size_t i) { return IsValid(duckdb_struct_vector_get_child(vector, i), row); });
      for (size_t i = 0; i < fields.size(); ++i) {
        duckdb_vector child = duckdb_struct_vector_get_child(vector, i);
        if (!IsValid(child, row)) continue;
        LAGOA_RETURN_IF_ERROR(
            EncodeValue(child, row, fields[i].type, fmt::format("{}.{}", path, fields[i].name), out, depth + 1));
      }
      return Status::Ok();
    }
  }
  LAGOA_ASSERT(false && "a type the record format does not have");
  return Status::Internal("unknown type");
}

}  // namespace lagoa::sql::internal

// Formatting single values read straight from DuckDB's vectors (C API), in the four formats of
// ResultChunk: DuckDB's text (CAST(x AS VARCHAR)), DuckDB's JSON (to_json), PostgreSQL's text and
// PostgreSQL's binary format. Internal to src/sql: it includes duckdb.h.
//
// A TypeNode is the tree of one column's type, read once per result from its logical type (enum
// dictionaries, struct field names, decimal storage), so formatting a cell never asks DuckDB about
// types. Vectors must be flat, as the C API hands them out (duckdb_fetch_chunk flattens).
// Threads: everything here is pure; TypeNodes are immutable once built.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/result_chunk.h"

namespace lagoa::sql::internal {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

struct TypeNode {
  TypeKind kind = TypeKind::kOther;
  duckdb_type id = DUCKDB_TYPE_INVALID;
  duckdb_type storage = DUCKDB_TYPE_INVALID;  // kDecimal: SMALLINT … HUGEINT; kEnum: UTINYINT … UINTEGER
  uint8_t decimal_width = 0;
  uint8_t decimal_scale = 0;
  uint64_t array_size = 0;               // kArray
  bool json = false;                     // kVarchar with DuckDB's alias JSON: already JSON text
  std::vector<std::string> enum_values;  // kEnum
  std::vector<std::string> names;        // kStruct fields, UNION members
  // kList/kArray: the element; kStruct: the fields; kMap: key, value; UNION: the members.
  std::vector<TypeNode> children;
};

TypeNode MakeTypeNode(duckdb_logical_type type);
// DuckDB's spelling of the type ("DECIMAL(18,3)", "STRUCT(a INTEGER, \"b c\" VARCHAR)[]").
std::string TypeSql(const TypeNode& type);
// True when the formatters can read this type's vectors (false for BIGNUM and newer DuckDB types
// the C API does not describe: a query must CAST such columns to VARCHAR).
bool TypeReadable(const TypeNode& type);

bool RowValid(duckdb_vector vector, uint64_t row);

template <typename T>
T Read(duckdb_vector vector, uint64_t row) {
  return static_cast<const T*>(duckdb_vector_get_data(vector))[row];
}
std::string_view ReadString(duckdb_vector vector, uint64_t row);

// The four formats; `row` must be valid (not NULL) in `vector`, of type `type`.
void AppendDuckText(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out);
void AppendDuckJson(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out);
void AppendPgTextValue(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out);
void AppendPgBinaryValue(const TypeNode& type, duckdb_vector vector, uint64_t row, std::string* out);

// PostgreSQL's type for a column (see result_chunk.h); the element's for lists of scalars.
uint32_t PgOid(const TypeNode& type);

// ---- Pieces shared by the formats (value_scalars.cc) ----

void AppendInt128(Int128 value, std::string* out);
void AppendUInt128(UInt128 value, std::string* out);
// `unscaled` / 10^scale with exactly `scale` fraction digits.
void AppendDecimal(Int128 unscaled, int scale, std::string* out);
// A DECIMAL, HUGEINT, UHUGEINT or UBIGINT cell as (magnitude, negative, scale).
struct BigNumber {
  UInt128 magnitude = 0;
  bool negative = false;
  int scale = 0;
};
BigNumber ReadBigNumber(const TypeNode& type, duckdb_vector vector, uint64_t row);
// `leading_zero` false drops the 0 before the point (DuckDB's text of DECIMAL(w,w): -.5).
void AppendBigNumber(const BigNumber& number, std::string* out, bool leading_zero = true);

enum class FloatStyle : uint8_t {
  kDuckText,  // Python-like: 0.1, 1.0, 1e-05, 1e+16, nan, inf
  kJson,      // yyjson: 1e-7, 1e21, 100.0; NaN and infinities are not written (the caller writes null)
  kPgFloat4,  // PostgreSQL float4out: 1e+06, 123456, NaN, Infinity
  kPgFloat8,  // PostgreSQL float8out: 1e+15, 123456789012345
};
void AppendFloat(float value, FloatStyle style, std::string* out);
void AppendDouble(double value, FloatStyle style, std::string* out);

inline constexpr int32_t kDateInfinity = 2147483647;  // DuckDB's date 'infinity'; -kDateInfinity is '-infinity'
inline constexpr int64_t kTimestampInfinity = 9223372036854775807;

struct CivilDate {
  int64_t year = 0;  // astronomical: 0 is 1 BC
  int month = 0;
  int day = 0;
};
CivilDate CivilFromDays(int64_t days);

enum class DateStyle : uint8_t { kDuck, kPg };
// YYYY-MM-DD, with " (BC)" (DuckDB) or nothing (PostgreSQL: the caller appends " BC" at the end).
void AppendCivilDate(const CivilDate& date, DateStyle style, std::string* out);
// HH:MM:SS[.fraction] of `units` since midnight, `digits` fraction digits per second (0, 3, 6, 9),
// trailing zeros of the fraction dropped.
void AppendTimeOfDay(int64_t units, int digits, std::string* out);

// A timestamp in `digits` fraction digits (0 s, 3 ms, 6 µs, 9 ns) as text; `tz` adds +00.
void AppendTimestamp(int64_t value, int digits, bool tz, DateStyle style, std::string* out);
void AppendDuckInterval(const duckdb_interval& interval, std::string* out);
void AppendPgInterval(const duckdb_interval& interval, std::string* out);
void AppendUuid(duckdb_hugeint value, std::string* out);
void AppendDuckBlob(std::string_view bytes, std::string* out);

}  // namespace lagoa::sql::internal

// Result columns and rows as the front doors need them: the HTTP API (JSON, NDJSON, CSV), the
// shell, and the PostgreSQL wire protocol (text and binary formats). A ResultChunk wraps one of
// DuckDB's data chunks (up to 2048 rows, columnar) and formats single values on demand, so large
// results stream chunk by chunk and are never converted wholesale. duckdb.h stays out of this
// header (result_chunk_internal.h builds chunks from DuckDB's handles).
//
// Lifecycle: chunks come from a Cursor (sql_engine.h) and own their DuckDB chunk; they stay valid
// after the cursor moves on or closes. Threads: a chunk is read by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lagoa::sql {

// The family of a column's DuckDB type. Types lagoa does not format specially are kOther (their
// text is DuckDB's CAST(… AS VARCHAR)).
enum class TypeKind : uint8_t {
  kBoolean,
  kTinyInt,
  kSmallInt,
  kInteger,
  kBigInt,
  kHugeInt,
  kUTinyInt,
  kUSmallInt,
  kUInteger,
  kUBigInt,
  kUHugeInt,
  kFloat,
  kDouble,
  kDecimal,
  kVarchar,
  kBlob,
  kDate,
  kTime,
  kTimestamp,    // microseconds, no zone
  kTimestampTz,  // microseconds, UTC
  kTimestampS,
  kTimestampMs,
  kTimestampNs,
  kInterval,
  kUuid,
  kEnum,
  kList,
  kArray,  // fixed-size
  kStruct,
  kMap,
  kOther,
};

struct ColumnType {
  TypeKind kind = TypeKind::kOther;
  std::string sql;            // DuckDB's spelling: "INTEGER", "DECIMAL(18,3)", "VARCHAR[]", …
  uint8_t decimal_width = 0;  // kDecimal only
  uint8_t decimal_scale = 0;  // kDecimal only
  // kList and kArray: the element's kind (a list of scalars is a PostgreSQL array).
  TypeKind element_kind = TypeKind::kOther;
  // False for types ResultChunk cannot read from DuckDB's vectors (BIGNUM and types newer than
  // DuckDB 1.4's C API describes, or nested types holding them): the query must CAST such
  // columns to VARCHAR; formatting them is a bug.
  bool readable = true;
};

struct ResultColumn {
  std::string name;
  ColumnType type;
};

class ResultChunk {
 public:
  struct Impl;
  explicit ResultChunk(std::unique_ptr<Impl> impl);
  ~ResultChunk();
  ResultChunk(const ResultChunk&) = delete;
  ResultChunk& operator=(const ResultChunk&) = delete;

  size_t row_count() const;
  size_t column_count() const;
  const ColumnType& type(size_t column) const;

  bool IsNull(size_t column, size_t row) const;

  // Each Append* appends the formatted value of a non-NULL cell to `out` (callers check IsNull
  // first; a NULL cell is a bug). `column` < column_count(), `row` < row_count().

  // DuckDB's text of the value, as CAST(value AS VARCHAR) gives it (CSV, the shell's table).
  void AppendText(size_t column, size_t row, std::string* out) const;
  // A JSON value, as DuckDB's to_json() gives it: numbers bare, strings escaped, lists as arrays,
  // structs and maps as objects.
  void AppendJson(size_t column, size_t row, std::string* out) const;
  // PostgreSQL's text output for the matching PostgreSQL type (see pg_type_oid below): booleans
  // t/f, arrays {a,b}, bytea \x…, timestamptz with +00, floats with shortest round-trip digits,
  // Infinity/NaN, intervals as PostgreSQL prints them.
  void AppendPgText(size_t column, size_t row, std::string* out) const;
  // PostgreSQL's binary format (big-endian, without the 4-byte length) for the types where
  // PgBinarySupported(type) holds.
  void AppendPgBinary(size_t column, size_t row, std::string* out) const;

 private:
  std::unique_ptr<Impl> impl_;
};

// The PostgreSQL type OID a column of this type is described with (bool 16, int2 21, int4 23,
// int8 20, numeric 1700, float4 700, float8 701, text 25, bytea 17, date 1082, time 1083,
// timestamp 1114, timestamptz 1184, interval 1186, uuid 2950, and the array OIDs for lists of
// those; everything else text 25, sent as AppendPgText).
uint32_t PgTypeOid(const ColumnType& type);
// True when AppendPgBinary can write this type.
bool PgBinarySupported(const ColumnType& type);

}  // namespace lagoa::sql

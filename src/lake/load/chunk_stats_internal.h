// ChunkStats: the Delta `add` statistics of a file (numRecords, minValues, maxValues, nullCount),
// gathered from the DuckDB chunks the staging scan decodes, column by column, as DuckDB's threads
// ask for them — so writing a file needs no second pass over its rows. Internal to the lake loader
// (it includes duckdb.h). Which columns get min/max and how values are written: see
// ParquetFileInfo::stats_json in parquet_file_writer.h.
//
// Lifecycle: made for a column list; Add() per decoded chunk or Merge() of another ChunkStats of
// the same columns; Json() at any time; Reset() for the next file. Threads: one thread at a time
// (the staging scan keeps one per DuckDB thread and merges them into the file's under a mutex).
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "schema/record_format.h"
#include "schema/schema.h"

namespace lagoa::lake::internal {

class ChunkStats {
 public:
  // `fields`: the chunk's columns in order (the stream's latest columns and the metadata ones).
  explicit ChunkStats(std::vector<schema::Field> fields);

  // Accumulates rows [0, rows) of `vectors` (one per field).
  void Add(std::span<const duckdb_vector> vectors, idx_t rows);
  // Accumulates what `other` (made for the same fields) gathered.
  void Merge(const ChunkStats& other);
  void Reset();

  uint64_t rows() const { return rows_; }
  // Min/max of a BIGINT column (the loader's `_offset`); nullopt when no row has a value.
  std::optional<int64_t> MinInt64(size_t column) const;
  std::optional<int64_t> MaxInt64(size_t column) const;
  // {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}.
  std::string Json() const;

 private:
  // Min/max of one column; numbers are kept in their widest form, strings as bytes.
  struct Range {
    bool any = false;
    schema::record_format::Int128 min_int = 0, max_int = 0;  // INTEGER, BIGINT, DECIMAL, DATE, TIMESTAMP(TZ)
    double min_double = 0, max_double = 0;
    std::string min_string, max_string;
  };
  // Null counts of a column; a STRUCT's per field (Delta's nested form).
  struct Nulls {
    uint64_t count = 0;
    std::vector<Nulls> fields;
  };

  void AddRange(const schema::Type& type, duckdb_vector vector, idx_t rows, Range& range);
  static void AddNulls(const schema::Type& type, duckdb_vector vector, idx_t rows, Nulls& nulls);
  static Nulls MakeNulls(const schema::Type& type);
  static void MergeNulls(const Nulls& from, Nulls& into);
  static void WriteNulls(const schema::Type& type, const Nulls& nulls, JsonWriter& json);

  std::vector<schema::Field> fields_;
  std::vector<Range> ranges_;  // one per field; unused for columns without min/max
  std::vector<Nulls> nulls_;   // one per field
  uint64_t rows_ = 0;
};

// Whether Delta statistics carry min/max for a column of this type: comparable scalars only;
// like Spark, none for BOOLEAN, none for JSON text (its ordering means nothing) or nested columns.
bool HasMinMax(const schema::Type& type);

// DuckDB's text of a DECIMAL with `scale` (12345678.91, -0.01, 0.0), a valid JSON number.
std::string FormatDecimal(schema::record_format::Int128 unscaled, int scale);
// YYYY-MM-DD of days since 1970-01-01 (years 1..9999, the range lagoa accepts).
std::string FormatDate(int32_t days);

}  // namespace lagoa::lake::internal

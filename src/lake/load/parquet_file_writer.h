// ParquetFileWriter: the second half of the lake loader's data path. Copies what a RecordAppender
// staged into one new Parquet file (zstd, 122,880-row row groups) with one DuckDB COPY, which
// DuckDB runs on its worker threads, decoding the staged records as it goes; the statistics of the
// file's Delta `add` action are the ones the staging scan gathered during that COPY (no second
// pass over the rows).
//
// Lifecycle: Make() checks the options; each Write() produces one file under `dir` named
// `part-<random UUID v4>.zstd.parquet` and never replaces an existing file. The caller moves the
// file into the table's object store and then calls RecordAppender::Clear().
// Threads: one thread at a time, the same one that uses the RecordAppender.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/strong_int.h"
#include "lake/load/record_appender.h"

namespace lagoa::lake {

struct ParquetFileOptions {
  std::filesystem::path dir;         // local directory for new files; must exist
  int64_t row_group_rows = 122'880;  // Parquet ROW_GROUP_SIZE; >= 2048 (one DuckDB chunk)
  std::string compression = "zstd";  // one of: zstd, snappy, uncompressed
  // true: rows land in the file in the order they were appended, and DuckDB writes the file on one
  // thread (the staging scan cannot tell DuckDB its order, so an ordered COPY is not parallel).
  // false: DuckDB's threads each write whole 2048-row chunks, in whatever order they finish.
  bool keep_row_order = false;

  static ParquetFileOptions Defaults() { return {}; }
  Status Validate() const;
};

// What a Delta `add` action needs about a written file.
struct ParquetFileInfo {
  std::filesystem::path path;  // dir / file_name
  std::string file_name;       // part-<uuid>.zstd.parquet
  uint64_t size_bytes = 0;
  uint64_t num_records = 0;
  // Delta statistics JSON: {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}.
  // min/max for every top-level column except LIST, STRUCT, JSON and BOOLEAN ones, and columns
  // whose values are all NULL; timestamps as RFC 3339 UTC with microseconds ("...T12:00:00.500000Z").
  // nullCount for every top-level column; a STRUCT's is an object per field (Delta's nested form,
  // LIST fields inside it counted as whole values).
  std::string stats_json;
  Offset min_offset;  // of the records in the file
  Offset max_offset;
};

class ParquetFileWriter {
 public:
  static Result<std::unique_ptr<ParquetFileWriter>> Make(const ParquetFileOptions& options);

  // Writes the rows of `staged` to a new file and returns its description. Rows keep their
  // order within each 2048-row chunk; unless `keep_row_order`, the chunks may be written in
  // another order (Delta promises no row order; the stats cover the whole file). FailedPrecondition when nothing is
  // staged; on any error no file is left.
  Result<ParquetFileInfo> Write(RecordAppender& staged);

  // Writes those of the rows of `staged` for which `where_sql` (an SQL condition over
  // `lagoa_load`'s columns) holds to a new file: one partition of a partitioned load. Only `path`,
  // `file_name` and `size_bytes` are set (the appender's statistics cover every staged row); the
  // caller takes the statistics from the file. The file may hold no row.
  Result<ParquetFileInfo> WriteWhere(RecordAppender& staged, std::string_view where_sql);

 private:
  explicit ParquetFileWriter(ParquetFileOptions options);
  std::string NewFileName();
  // COPY (SELECT * FROM lagoa_load WHERE where_sql) to a new file; on any error no file is left.
  Result<ParquetFileInfo> CopyToNewFile(RecordAppender& staged, std::string_view where_sql);

  ParquetFileOptions options_;
  std::mt19937_64 random_;
};

}  // namespace lagoa::lake

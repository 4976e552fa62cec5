// RecordAppender: the first half of the lake loader's data path. Decodes binary stream records
// (src/schema/README.md, "Binary record format") straight into DuckDB vectors and stages them for
// ParquetFileWriter, which COPYs them to a Parquet file. No JSON and no SQL text per row: each
// record is read once, column by column, into a duckdb_data_chunk of up to 2048 rows; completed
// chunks are kept as they are (not appended to a table) and DuckDB reads them through the table
// function `lagoa_staged()`, by reference, in parallel. The Delta statistics of the staged rows
// are gathered from each chunk as it completes, so no query has to read the rows again.
//
// The staged rows are visible to SQL as the view `lagoa_load` (on the appender's own in-memory
// database): the latest schema version's columns, typed by StagingTypeSql (JSON is stored as
// VARCHAR: DuckDB's JSON type is VARCHAR with an alias, and Parquet readers outside DuckDB know no
// JSON logical type), then the loader's metadata columns `_offset BIGINT`, `_partition INTEGER`,
// `_ingested_at TIMESTAMPTZ`, `_event_time TIMESTAMPTZ`. Records written with an older schema
// version have fewer columns; the missing ones are NULL. A scan may return the chunks in any
// order when DuckDB runs it on several threads.
//
// Memory: the staged chunks live outside DuckDB's buffer manager (its memory_limit does not bound
// them); the caller bounds them by what it appends between Clear() calls.
//
// Lifecycle: Make() opens an in-memory DuckDB database and registers the scan; Append() stages
// records; Flush() makes the last partial chunk visible to SQL (ParquetFileWriter calls it);
// Clear() drops everything staged, for the next file. The destructor drops everything.
// Threads: one thread at a time (DuckDB's worker threads read the staged chunks inside a query).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"
#include "lake/duckdb_connection.h"
#include "schema/schema.h"

namespace lagoa::lake {

// One record to load. lagoa::log::ReadRecord has exactly these fields; the lake module does not
// depend on the log, so the loader copies them over (the payload is not copied).
struct LoadRecord {
  Offset offset;
  SchemaVersion schema_version;
  int64_t event_time_us = 0;   // microseconds since the epoch, UTC
  int64_t ingest_time_us = 0;  // microseconds since the epoch, UTC
  std::span<const std::byte> payload;
};

inline constexpr std::string_view kStagingTableName = "lagoa_load";
// The metadata columns after the stream's columns, in this order; stream columns with these names
// (ignoring case) are refused.
inline constexpr std::array<std::string_view, 4> kLoadMetadataColumns = {"_offset", "_partition", "_ingested_at",
                                                                         "_event_time"};

struct RecordAppenderOptions {
  // Every schema version of the stream, oldest first: versions[i].version == i + 1, each a prefix
  // of the next (what the catalog guarantees). Columns are those of the last one.
  std::vector<schema::Schema> versions;
  DuckDbOptions duckdb;

  Status Validate() const;
};

class RecordAppender {
 public:
  static Result<std::unique_ptr<RecordAppender>> Make(RecordAppenderOptions options);
  ~RecordAppender();
  RecordAppender(const RecordAppender&) = delete;
  RecordAppender& operator=(const RecordAppender&) = delete;

  // Decodes and stages `records`, all read from `partition`. Each record is decoded with its own
  // schema version and checked like schema::AppendRecordJson checks it (lengths, ranges, UTF-8,
  // NOT NULL columns present, no trailing bytes). A record that fails is Corruption naming its
  // offset, version and column; the records before it stay staged, it and those after are not.
  Status Append(PartitionId partition, std::span<const LoadRecord> records);

  // Stages the rows still held in the current chunk, so SQL on `lagoa_load` sees them.
  Status Flush();
  // Deletes every staged row (after a file was written, or to start over after an error).
  Status Clear();

  // Rows staged since Make() or the last Clear(), flushed or not.
  uint64_t staged_rows() const;
  // Delta statistics of the flushed rows (ParquetFileInfo::stats_json).
  std::string StagedStatsJson() const;
  // The lowest and highest `_offset` of the flushed rows; nullopt when there are none.
  std::optional<std::pair<Offset, Offset>> StagedOffsetRange() const;
  const schema::Schema& latest_schema() const;

  // SQL on the staging connection (for ParquetFileWriter and tests). QueryText's result
  // columns must all be VARCHAR; see DuckDbConnection::QueryText.
  Status Execute(std::string_view sql);
  Result<std::vector<TextRow>> QueryText(std::string_view sql, size_t rows_max = DuckDbConnection::kRowsMax);

 private:
  struct State;
  explicit RecordAppender(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The DuckDB type of a lagoa type in the staging table and in Parquet files: Type::ToSql, except
// that JSON (also inside LIST and STRUCT) is VARCHAR.
std::string StagingTypeSql(const schema::Type& type);

}  // namespace lagoa::lake

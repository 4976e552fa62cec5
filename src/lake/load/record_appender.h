// RecordAppender: the first half of the lake loader's data path. Checks binary stream records
// (src/schema/README.md, "Binary record format") and stages them for ParquetFileWriter, which COPYs
// them to a Parquet file. No JSON and no SQL text per row: Append() copies each record's payload
// into buffers the appender owns (the log reader reuses its own) after checking it; DuckDB reads
// the staged records through the table function `lagoa_staged()`, which decodes them straight into
// DuckDB's output vectors, 2048 records per call, on whichever of DuckDB's threads asks — so the
// decoding runs in parallel inside the query, and strings are not copied (long ones point into
// the staged payloads). The Delta statistics are gathered from each decoded chunk by the thread
// that decoded it, once per chunk however many queries scan it, and merged under a mutex, so no
// query has to read the rows again.
//
// The staged rows are visible to SQL as the view `lagoa_load` (on the appender's own in-memory
// database): the latest schema version's columns, typed by StagingTypeSql (JSON is stored as
// VARCHAR: DuckDB's JSON type is VARCHAR with an alias, and Parquet readers outside DuckDB know no
// JSON logical type), then the loader's metadata columns `_offset BIGINT`, `_partition INTEGER`,
// `_ingested_at TIMESTAMPTZ`, `_event_time TIMESTAMPTZ`. Records written with an older schema
// version have fewer columns; the missing ones are NULL. A scan may return the chunks in any
// order when DuckDB runs it on several threads.
//
// Memory: the staged payloads (plus 48 bytes per record) live outside DuckDB's buffer manager (its
// memory_limit does not bound them); the caller bounds them by what it appends between Clear()
// calls. Decoded rows exist only in DuckDB's output chunks, one per DuckDB thread at a time.
//
// Lifecycle: Make() opens an in-memory DuckDB database and registers the scan; Append() stages
// records, visible to SQL at once; Clear() drops everything staged, for the next file. The
// destructor drops everything.
// Threads: one thread at a time calls the methods (DuckDB's worker threads decode the staged
// records inside a query that thread runs; nothing is staged or cleared during a query).
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
#include "duck/connection.h"
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
// `columns` followed by the metadata columns: _offset BIGINT, _partition INTEGER, _ingested_at and
// _event_time TIMESTAMPTZ, all NOT NULL — the columns of a loaded row and of a stream's log tail.
std::vector<schema::Field> WithLoadMetadataColumns(std::vector<schema::Field> columns);

struct RecordAppenderOptions {
  // Every schema version of the stream, oldest first: versions[i].version == i + 1, each a prefix
  // of the next (what the catalog guarantees). Columns are those of the last one.
  std::vector<schema::Schema> versions;
  duck::DatabaseOptions duckdb;

  Status Validate() const;
};

class RecordAppender {
 public:
  static Result<std::unique_ptr<RecordAppender>> Make(RecordAppenderOptions options);
  ~RecordAppender();
  RecordAppender(const RecordAppender&) = delete;
  RecordAppender& operator=(const RecordAppender&) = delete;

  // Checks and stages `records`, all read from `partition` (their payloads are copied). Each
  // record is checked with its own schema version like schema::AppendRecordJson checks it
  // (lengths, ranges, UTF-8, NOT NULL columns present, no trailing bytes). A record that fails is
  // Corruption naming its offset, version and column; the records before it stay staged, it and
  // those after are not.
  Status Append(PartitionId partition, std::span<const LoadRecord> records);

  // Deletes every staged row (after a file was written, or to start over after an error).
  Status Clear();

  // Rows staged since Make() or the last Clear().
  uint64_t staged_rows() const;
  // Delta statistics of the staged rows (ParquetFileInfo::stats_json). Decodes, on this thread,
  // the chunks no query has scanned whole (none after ParquetFileWriter::Write's COPY); fails only
  // as that decoding can (see the scan's errors in the README).
  Result<std::string> StagedStatsJson();
  // The lowest and highest `_offset` of the staged rows; nullopt when there are none.
  std::optional<std::pair<Offset, Offset>> StagedOffsetRange() const;
  const schema::Schema& latest_schema() const;

  // SQL on the staging connection (for ParquetFileWriter and tests). QueryText's result
  // columns must all be VARCHAR; see duck::Connection::QueryText.
  Status Execute(std::string_view sql);
  Result<std::vector<duck::TextRow>> QueryText(std::string_view sql, size_t rows_max = duck::kTextRowsMax);

 private:
  struct State;
  explicit RecordAppender(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The DuckDB type of a lagoa type in the staging table and in Parquet files: Type::ToSql, except
// that JSON (also inside LIST and STRUCT) is VARCHAR.
std::string StagingTypeSql(const schema::Type& type);

}  // namespace lagoa::lake

// StreamLoader: loads one partition of a log stream into one Delta table, exactly once.
//
// Each LoadOnce() resumes from the table itself: the snapshot's `txn` for the appId
// `lagoa:<stream>:<partition>` holds the last offset loaded (none: the start of the log). It reads
// records from there, stages them in a RecordAppender until a trigger fires (rows_max, bytes_max,
// or the log is caught up and interval_ms has passed), writes one Parquet file, puts it into the
// table directory with ObjectStore::PutIfAbsent (a temporary name linked into place, so the table
// never holds a partial file) and commits `add` + `txn(appId, last offset)` on top of the version
// it resumed from. The commit is the only thing that makes data visible, and it carries the resume
// point, so data and position can never disagree: a crash before it leaves an orphan file that no
// commit references (CleanOrphans deletes it later); a crash after it resumes after the file.
// A concurrent loader for the same appId makes the commit conflict; the file is discarded and the
// load starts over from the new snapshot. See README.md, "Loading streams".
//
// Table columns: the stream's latest schema, then `_offset BIGINT, _partition INTEGER,
// _ingested_at TIMESTAMPTZ, _event_time TIMESTAMPTZ`, and with a date partition source `_date DATE`
// (the UTC date of the source column, NULL when it is NULL), the table's only partition column:
// each load then writes one file per distinct date under `_date=YYYY-MM-DD/` (NULL:
// `_date=__HIVE_DEFAULT_PARTITION__/`, a null partition value) and commits all of them with the one
// txn, so the exactly-once argument above holds unchanged. Make() creates the table when missing and,
// when the stream's schema gained columns since, adds them (at the end) with a metaData commit.
// A table column whose type differs from the stream's, or a table partitioned otherwise than the
// options say, is refused (FailedPrecondition); the loader never changes a table's partitioning.
//
// Lifecycle: Make() opens DuckDB, creates or evolves the table; LoadOnce() / CleanOrphans() are
// called by one thread (the loader's); destroying the loader abandons nothing that matters (staged
// rows are not in the table; the next loader re-reads them from the log).
// Threads: LoadOnce, CleanOrphans and the accessors other than CommittedOffset are one thread at a
// time. CommittedOffset() may be called from any thread (the log's maintenance thread calls it
// through the RetentionGuard).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"
#include "duck/connection.h"
#include "lake/delta/delta_actions.h"
#include "lake/store/object_store.h"
#include "log/log.h"
#include "schema/schema.h"

namespace lagoa::lake {

struct StreamLoaderOptions {
  log::Partition* partition = nullptr;  // borrowed; must outlive the loader
  PartitionId partition_id;
  schema::StreamDefinition stream;  // every schema version; the table follows the latest
  ObjectStore* store = nullptr;     // borrowed; must outlive the loader
  std::string table_prefix;         // the table root's key prefix: "" or ending in '/'
  duck::DatabaseOptions duckdb;
  // Local directory for Parquet files before they are put into the store; empty = system temp.
  std::filesystem::path scratch_dir;
  int64_t checkpoint_interval = 10;  // DeltaWriterOptions::checkpoint_interval
  // Empty: an unpartitioned table. Otherwise the column whose UTC date is the partition column
  // `_date`: a TIMESTAMP/TIMESTAMPTZ column of the stream, `_event_time` or `_ingested_at`
  // (schema::StreamLakeOptions::date_partition_source).
  std::string date_partition_source;

  // Triggers: a file is written when it holds rows_max rows or about bytes_max bytes of record
  // payload, or when the log is caught up and interval_ms passed since its first record (bounded
  // by LoadOnce's max_wait).
  int64_t rows_max = 1'000'000;
  int64_t bytes_max = 256ll << 20;
  std::chrono::milliseconds interval_ms{60'000};
  // Bytes of payload asked of the log per Reader::Next call.
  size_t read_bytes_max = 1u << 20;
  // Commit conflicts (another loader advanced this appId) retried within one LoadOnce.
  int conflict_retries_max = 3;

  static StreamLoaderOptions Defaults() { return {}; }
  Status Validate() const;
};

// What one LoadOnce did. files_written == 0 means nothing new was found (no commit); a partitioned
// table gets one file per distinct date, all in the one commit.
struct LoadStep {
  int files_written = 0;
  Offset first_offset;  // of the loaded records (valid when files_written > 0)
  Offset last_offset;   // also the txn version committed
  uint64_t rows = 0;
  bool full = false;                   // a size trigger (rows_max or bytes_max) fired: more may be waiting in the log
  std::string file_key;                // the (first) data file's key in the store
  std::vector<std::string> file_keys;  // every data file's key, in the commit's order
  TableVersion version;                // the commit's version
  int conflicts = 0;                   // commits lost to another loader of the same appId
  Status checkpoint_status;            // a failed checkpoint after the commit (the commit stands)
};

struct CleanOrphansResult {
  int files_deleted = 0;
  uint64_t bytes_deleted = 0;
};

// The appId of the txn that holds the last offset loaded from `partition` of `stream`.
std::string LoaderAppId(std::string_view stream, PartitionId partition);

// When the table says offsets up to `loaded_last` are loaded but `partition` ends before them
// (the log lost them: a machine crash under durability none, or `lagoa log repair` cut them),
// makes the partition skip past them (log::Partition::SkipTo), so no new event gets an offset the
// lake holds already (the loader would never load it). `what` names the partition for the error
// logged. Blocks until the skip is durable.
Status SkipOffsetsTheLakeHolds(log::Partition* partition, std::string_view what, int64_t loaded_last);

class StreamLoader {
 public:
  static Result<std::unique_ptr<StreamLoader>> Make(StreamLoaderOptions options);
  ~StreamLoader();
  StreamLoader(const StreamLoader&) = delete;
  StreamLoader& operator=(const StreamLoader&) = delete;

  // Loads at most one file. Waits up to `max_wait` for the first record and, once records are
  // staged, for more until interval_ms passed (never beyond `max_wait` from the call). With
  // max_wait 0 it writes what the log holds now. OutOfRange when retention deleted offsets the
  // table has not loaded (the lake would have a gap).
  Result<LoadStep> LoadOnce(std::chrono::milliseconds max_wait);

  // Deletes data files in the table directory (keys below the prefix outside `_delta_log/`,
  // ending in `.parquet`) that no commit in the log mentions (add or remove) and no active file of
  // the latest snapshot is, and whose modification time is older than `min_age`. min_age must
  // exceed the longest time a loader takes from putting a file to committing it.
  Result<CleanOrphansResult> CleanOrphans(std::chrono::milliseconds min_age);

  // The first offset not yet in the lake (last committed txn version + 1, or 0): what retention
  // must keep. Any thread.
  Offset CommittedOffset() const { return Offset(committed_next_.load(std::memory_order_acquire)); }

  // `lagoa:<stream>:<partition>`.
  const std::string& app_id() const;

  // Test hook: called after the data files are in the store and before the commit, with the first
  // file's key; an error it returns is returned by LoadOnce as if the process had died there (the
  // files stay).
  void SetBeforeCommitHookForTesting(std::function<Status(const std::string& file_key)> hook);

 private:
  struct State;
  explicit StreamLoader(std::unique_ptr<State> state);
  Status EnsureTable();
  Result<bool> LoadAttempt(std::chrono::steady_clock::time_point call_deadline, LoadStep* step);
  Result<uint64_t> StageRecords(std::chrono::steady_clock::time_point call_deadline, LoadStep* step);
  Result<bool> WriteAndCommit(TableVersion read_version, uint64_t rows, LoadStep* step);
  // The staged rows as files and their `add`s (partition values set; the files are in the store).
  Result<std::vector<AddFile>> PutFiles(uint64_t rows, LoadStep* step);
  Result<std::vector<AddFile>> PutDatePartitionedFiles(uint64_t rows);

  std::unique_ptr<State> state_;
  std::atomic<int64_t> committed_next_{0};
};

// The columns of a stream's table: the latest schema's fields, then the loader's metadata columns,
// then `_date DATE` when `date_partition_source` is not empty.
std::vector<schema::Field> StreamTableFields(const schema::StreamDefinition& stream,
                                             const std::string& date_partition_source = {});

// The partition column of a table partitioned by a derived date.
inline constexpr std::string_view kDatePartitionColumn = "_date";

}  // namespace lagoa::lake

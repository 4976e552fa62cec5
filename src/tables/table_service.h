// TableService: the lake tables as a service every front door calls (HTTP's /v1/tables, SQL's DROP
// STREAM, the CLI through HTTP): list, describe, history, rows (pages, by version or timestamp),
// compact and vacuum, attach and detach of read-only Delta tables written by other engines, and
// removing a dropped stream's table. Results are typed (Result<T>); no protocol type appears here.
//
// A table is the lake table of a stream (`<lake dir>/<stream>/`, for streams whose lake option is
// enabled), a lake table made by SQL (`<data>/tables/<name>/`), or an attached table
// (lake::AttachedTables). Attached tables are read-only: lagoa never writes, compacts or vacuums
// them.
//
// Lifecycle: Make() → Start() (starts the worker) → Stop() (fails queued operations with
// Unavailable, waits for the running one, joins). Threads: the public methods run on any thread,
// only queue the work and return; one worker thread ("lagoa-tables") runs the operations — they
// read Delta logs and Parquet files through DuckDB and may take seconds — one at a time, each with
// its own in-memory DuckDB, and calls `done` there. The queue is bounded; a full queue fails the
// call with Unavailable. Compaction and VACUUM of a stream table hold `stream_table_writes`, the
// lock the lake loader holds while it writes, so neither deletes or replaces a file the loader is
// about to commit (and the loader waits while they run).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "duck/connection.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/delta/delta_schema.h"
#include "lake/maintenance/table_compaction.h"
#include "lake/maintenance/table_history.h"
#include "lake/maintenance/table_vacuum.h"
#include "lake/store/open_object_store.h"

namespace lagoa::tables {

namespace internal {
struct TableRef;
}

struct TableServiceOptions {
  std::filesystem::path lake_dir;             // stream tables live in <lake_dir>/<stream>/
  std::filesystem::path scratch_dir;          // local files in flight (compaction, rewrites); must exist
  duck::DatabaseOptions duckdb;               // for each operation's DuckDB
  lake::CompactOptions compact;               // defaults of Compact
  std::chrono::hours vacuum_retention{168};   // default of Vacuum
  size_t queue_max = 16;                      // operations waiting for the worker
  std::mutex* stream_table_writes = nullptr;  // required; see above
  // Attach takes only tables inside these folders (SQL can read no other); empty: any.
  std::vector<std::filesystem::path> attach_dirs;
  // The SQL engine's lake tables (CREATE TABLE): listed, described, read, compacted and vacuumed
  // like stream tables; may be null.
  const lake::AttachedTables* lake_tables = nullptr;
  // Called (on the worker, holding stream_table_writes) after a dropped stream's table is removed.
  std::function<void(const std::string& stream)> on_stream_table_removed;
  // Every named object: Attach checks the new name against it. May be null (names are then
  // checked against streams and attached tables only).
  const catalog::Catalog* catalog = nullptr;

  Status Validate() const;
};

struct TableInfo {
  std::string name;
  std::string kind;  // "stream", "table" (made by SQL) or "attached"
  std::filesystem::path path;
  bool read_only = false;
};

// A table at its latest version. A stream table nothing has been loaded into yet has no version.
struct TableDescription {
  TableInfo table;
  std::optional<lake::TableVersion> version;
  std::string id;  // the Delta table id
  std::optional<int64_t> created_ms;
  std::vector<lake::DeltaColumn> columns;
  std::vector<std::string> partition_columns;
  size_t files = 0;
  std::optional<int64_t> rows;  // from the files' stats; unknown when a file has none
  uint64_t size_bytes = 0;
  size_t partitions = 0;  // distinct partition values (0 for an unpartitioned table)
  std::optional<lake::TableVersion> checkpoint_version;
  std::map<std::string, int64_t> applications;  // txn app id → version (the loader's offsets)
};

// One table of List: described, or the reason it could not be read.
struct ListedTable {
  TableInfo table;
  std::optional<TableDescription> description;
  Status error;
};

struct TableHistory {
  TableInfo table;
  std::vector<lake::CommitSummary> commits;  // newest first
};

// Which version a read wants: the latest, a version, or the one current at a time.
struct VersionChoice {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
};

struct RowsPage {
  TableInfo table;
  lake::TableVersion version;
  std::vector<std::string> rows;       // one JSON object per row, in the scan's order
  std::optional<int64_t> next_offset;  // set when more rows may follow
};

struct CompactOutcome {
  TableInfo table;
  lake::CompactResult result;
};

struct VacuumOutcome {
  TableInfo table;
  bool dry_run = false;
  int files_deleted = 0;
  uint64_t bytes_deleted = 0;
  std::vector<std::string> files;  // relative to the table's root
};

template <typename T>
using Done = std::function<void(Result<T>)>;

class TableService {
 public:
  static Result<std::unique_ptr<TableService>> Make(ingest::StreamRegistry* registry, lake::AttachedTables* attached,
                                                    TableServiceOptions options);
  ~TableService();
  TableService(const TableService&) = delete;
  TableService& operator=(const TableService&) = delete;

  void Start();
  void Stop();

  const TableServiceOptions& options() const { return options_; }

  // Errors of every call: NotFound (no such table), Unavailable (the queue is full or the service
  // is stopping), and the lake's errors with the table named.
  void List(Done<std::vector<ListedTable>> done);
  void Describe(const std::string& name, Done<TableDescription> done);
  // The newest `limit` commits (all when unset).
  void History(const std::string& name, std::optional<int64_t> limit, Done<TableHistory> done);
  void Rows(const std::string& name, VersionChoice choice, int64_t offset, int64_t limit, Done<RowsPage> done);
  // FailedPrecondition for a read-only (attached) table.
  void Compact(const std::string& name, lake::CompactOptions options, Done<CompactOutcome> done);
  void Vacuum(const std::string& name, lake::VacuumOptions options, Done<VacuumOutcome> done);
  // AlreadyExists when the name is taken; PermissionDenied outside attach_dirs; the lake's error
  // when lagoa cannot read the table.
  void Attach(lake::AttachedTable table, Done<TableDescription> done);
  // FailedPrecondition when `name` is not an attached table.
  void Detach(const std::string& name, Done<TableInfo> done);
  // Deletes the lake table of a stream that was just dropped, on the worker (waiting for the
  // loader's current write). Never refused for a full queue: a table left behind would meet a
  // re-created stream of the same name.
  void RemoveStreamTable(const std::string& name, std::function<void(Status)> done);
  // The same, waiting for it; not from the worker.
  Status RemoveStreamTableAndWait(const std::string& name);

 private:
  using Ref = internal::TableRef;
  struct Job {
    std::function<void()> run;
    std::function<void(Status)> refuse;
  };
  TableService(ingest::StreamRegistry* registry, lake::AttachedTables* attached, TableServiceOptions options)
      : registry_(registry), attached_(attached), options_(std::move(options)) {}
  // Queues `work` (run on the worker); `done` gets its result, or Unavailable when the queue is
  // full (unless `always`) or the worker stopped.
  template <typename T>
  void Submit(std::function<Result<T>()> work, Done<T> done, bool always = false);
  void Queue(Job job, bool always);
  // Runs `operation` on the resolved table; `write` refuses read-only tables and holds the
  // stream-table write lock.
  template <typename T>
  void OnTable(const std::string& name, bool write, std::function<Result<T>(const Ref&)> operation, Done<T> done);
  void RunWorker();
  // On the worker: where the table is and whether lagoa may write it.
  Result<Ref> Resolve(const std::string& name);
  Result<TableDescription> AttachNow(lake::AttachedTable table);

  ingest::StreamRegistry* const registry_;
  lake::AttachedTables* const attached_;
  const TableServiceOptions options_;
  std::unique_ptr<lake::ObjectStore> lake_store_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool running_ = false;   // guarded by mu_
  std::thread worker_;
};

}  // namespace lagoa::tables

// DeltaTableWriter: commits to a Delta table with optimistic concurrency (PROTOCOL.md "Optimistic
// Concurrency Control"). A commit is written as `_delta_log/<20-digit v>.json` with
// ObjectStore::PutIfAbsent, so exactly one writer wins each version and nothing is overwritten.
// A writer that loses version v reads the winning commit, checks it against its own actions and,
// when they do not conflict, tries v+1 (at most `commit_attempts_max` versions).
//
// Conflicts (WriteSerializable, Delta's default isolation), checked against each commit another
// writer made after `read_version`:
//   - it changed the protocol or the metadata (schema, partitioning, configuration), or this
//     commit changes them and anything was committed in between;
//   - it removed a file this commit removes (a concurrent delete/update of the same data);
//   - it holds a txn for an appId this commit's txn also names (idempotent loaders: the other
//     writer advanced the application's version first);
//   - with CommitOptions::conflict_on_concurrent_adds (Serializable) and this commit removing
//     files: it added data files.
// Pure appends never conflict with each other. A conflict is FailedPrecondition naming the version
// and the reason; the caller re-reads the table and decides. Running out of attempts is
// ResourceExhausted.
//
// After a commit at a version that is a multiple of `checkpoint_interval`, the writer replays the
// log at that version and writes a classic Parquet checkpoint (delta_checkpoint_writer.h). A failed
// checkpoint does not undo the commit; CommitResult::checkpoint_status says what happened.
//
// The caller checks the snapshot it read before writing (CheckWriterProtocol); lagoa creates tables
// with reader version 1 / writer version 2 and writes no table features.
//
// Lifecycle: Make() validates the options; the writer borrows the ObjectStore and duck::Connection,
// which must outlive it. Threads: one thread at a time (the DuckDB connection is single-threaded).
// Several writers — threads with their own writer and connection, or processes — may commit to the
// same table concurrently; the object store arbitrates.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "lake/delta/delta_actions.h"
#include "lake/store/object_store.h"
#include "schema/types.h"

namespace lagoa::lake {

struct DeltaWriterOptions {
  std::string table_prefix;             // the table root's key prefix: "" or ending in '/'
  int64_t checkpoint_interval = 10;     // checkpoint after commits at multiples of this; 0 = never
  int commit_attempts_max = 1000;       // versions tried per commit before giving up; >= 1
  std::filesystem::path scratch_dir;    // local directory for checkpoint files in flight; empty = system temp
  int64_t commit_bytes_max = 64 << 20;  // refuse larger commit files

  static DeltaWriterOptions Defaults() { return {}; }
  Status Validate() const;
};

struct CommitOptions {
  std::string operation = "WRITE";  // commitInfo.operation
  std::map<std::string, std::string> operation_parameters;
  // Serializable isolation for commits that remove files: files added concurrently conflict.
  bool conflict_on_concurrent_adds = false;
};

struct CommitResult {
  TableVersion version;
  int attempts = 1;                        // versions tried, 1 when there was no contention
  std::optional<TableVersion> checkpoint;  // set when this commit was due for a checkpoint
  Status checkpoint_status;                // why that checkpoint failed; OK otherwise
};

// OK when lagoa may write a table with this protocol (writer version <= 2, no table features);
// else FailedPrecondition naming what the table needs.
Status CheckWriterProtocol(const Protocol& protocol);

class DeltaTableWriter {
 public:
  static Result<std::unique_ptr<DeltaTableWriter>> Make(ObjectStore* store, duck::Connection* duckdb,
                                                        DeltaWriterOptions options);

  // Writes version 0: protocol (1, 2) and metaData (a new id, the fields' Spark schema). Partition
  // columns must be top-level fields; InvalidArgument otherwise. AlreadyExists when the table has
  // a log already.
  Result<CommitResult> CreateTable(const std::vector<schema::Field>& fields,
                                   const std::vector<std::string>& partition_columns,
                                   const std::map<std::string, std::string>& configuration);

  // Commits `actions` (plus a commitInfo line the writer adds; CommitInfo entries in `actions` are
  // dropped) as the first free version after `read_version`, the version of the snapshot the
  // actions were computed from. InvalidArgument for an empty commit or an invalid path.
  Result<CommitResult> Commit(const std::vector<Action>& actions, TableVersion read_version,
                              const CommitOptions& options = {});

  // Replays the log at `version` and writes its checkpoint.
  Status Checkpoint(TableVersion version);

 private:
  DeltaTableWriter(ObjectStore* store, duck::Connection* duckdb, DeltaWriterOptions options)
      : store_(store), duckdb_(duckdb), options_(std::move(options)) {}
  Result<CommitResult> CommitFrom(const std::vector<Action>& actions, TableVersion first_version,
                                  const CommitOptions& options);

  ObjectStore* store_;
  duck::Connection* duckdb_;
  const DeltaWriterOptions options_;
};

}  // namespace lagoa::lake

// Reading a Delta table's transaction log (`<table>/_delta_log/`) into a Snapshot.
//
// `_last_checkpoint` is read first as a hint: when it names a complete checkpoint at or below the
// wanted version, the log is listed only from that version on (what keeps a table of many commits
// quick to open); otherwise (missing, empty, corrupt, stale, or an older version wanted) the whole
// log is listed and the listing decides; the newest complete checkpoint at or below the wanted
// version is read through DuckDB (classic `<v>.checkpoint.parquet` or multi-part
// `<v>.checkpoint.<i>.<n>.parquet`; a multi-part checkpoint missing a part is skipped), then the
// JSON commits after it, which must be contiguous. Tables whose protocol lagoa cannot read are
// refused (see CheckReaderProtocol) and their data is never read.
//
// Lifecycle: a DeltaLogReader borrows its ObjectStore and duck::Connection, which must outlive it.
// Threads: one thread at a time (the DuckDB connection is single-threaded).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "lake/delta/delta_actions.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

// What one listing of `_delta_log/` holds.
struct LogListing {
  struct Checkpoint {
    TableVersion version;
    int parts = 1;                  // 1 for a classic checkpoint
    std::vector<std::string> keys;  // sorted by part number; complete when keys.size() == parts
  };
  std::map<int64_t, std::string> commits;          // version → key of <20 digits>.json
  std::vector<Checkpoint> checkpoints;             // complete ones only, ascending by version
  std::optional<std::string> last_checkpoint_key;  // when `_last_checkpoint` exists
};

// The `_last_checkpoint` hint: {"version": N, "parts": P?, ...}.
struct LastCheckpointHint {
  TableVersion version;
  std::optional<int> parts;
};

// Parses `_last_checkpoint`; Corruption when it is empty or not the expected JSON.
Result<LastCheckpointHint> ParseLastCheckpoint(std::string_view contents);

// 20-digit zero-padded version, the file name stem of commits and checkpoints.
std::string VersionFileStem(TableVersion version);

// Whether the table at `table_prefix` ("" or ending in '/') has a Delta log yet: any object under
// `_delta_log/` (a stream's table before its first load has none). Lists the log: for table
// operations, not for every statement.
Result<bool> HasDeltaLog(ObjectStore* store, std::string_view table_prefix);

class DeltaLogReader {
 public:
  // `table_prefix`: the table root's key prefix in `store`, "" or ending in '/'.
  DeltaLogReader(ObjectStore* store, duck::Connection* duckdb, std::string table_prefix);

  // Lists `_delta_log/`; NotFound when it holds no commit and no checkpoint.
  Result<LogListing> List();

  // The snapshot at `version`, or at the latest version when none is given. NotFound for a
  // version that does not exist or can no longer be reconstructed (log cleaned up).
  Result<Snapshot> LoadSnapshot(std::optional<TableVersion> version = std::nullopt);

  // The latest snapshot, built from `base` (an earlier snapshot of this table) by replaying only
  // the commits after it: what a reader that follows a table needs, without reading its
  // checkpoint and commits again at every version. `base` itself when no commit follows it;
  // LoadSnapshot() when one in between is missing (cleaned up, or covered by a checkpoint only).
  Result<Snapshot> LoadSnapshotAfter(const Snapshot& base);
  // Whether `snapshot` is still the table's latest: its own commit exists (the table is still
  // there; log cleanup never deletes the newest commit) and the next version's does not (commits
  // are immutable and numbered densely). Two Exists calls, which a reader following a table asks
  // before every statement instead of listing the log.
  Result<bool> IsLatest(const Snapshot& snapshot);

  // Why the last LoadSnapshot did not use `_last_checkpoint` ("" when it did or there was none).
  const std::string& last_checkpoint_note() const { return last_checkpoint_note_; }

 private:
  // Lists the commits and checkpoints at or after `from` (all when unset).
  Result<LogListing> ListFrom(std::optional<TableVersion> from);
  // `_last_checkpoint`, when it exists and parses; else nullopt (a bad one is noted).
  std::optional<LastCheckpointHint> ReadHint();
  Status ReadCheckpoint(const LogListing::Checkpoint& checkpoint, LogReplay* replay);
  Status ReadCommit(int64_t version, const std::string& key, LogReplay* replay);
  void CheckHint(const LogListing& listing, const LastCheckpointHint& hint);

  ObjectStore* store_;
  duck::Connection* duckdb_;
  std::string table_prefix_;
  std::string last_checkpoint_note_;
};

}  // namespace lagoa::lake

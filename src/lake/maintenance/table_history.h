// A Delta table's history (one summary per commit still in the log, newest first) and time travel
// by timestamp: the version that was current at a given instant.
//
// A commit's timestamp is, in this order: commitInfo.inCommitTimestamp (PROTOCOL.md "In-Commit
// Timestamps", the authoritative one when a table enables that feature), commitInfo.timestamp
// (Spark, delta-rs and lagoa write it), else the commit file's modification time (what the
// protocol uses for tables without in-commit timestamps; it changes when a table is copied, which
// is why the commit's own timestamp is preferred).
//
// Pure functions over an ObjectStore; one thread at a time per call (the store may be shared).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lake/delta/delta_actions.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

struct CommitSummary {
  TableVersion version;
  int64_t timestamp_ms = 0;
  std::string operation;  // commitInfo.operation; "" when the commit has no commitInfo
  std::map<std::string, std::string> operation_parameters;  // non-string values as JSON text
  std::string engine_info;
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t rows_added = 0;  // sum of the adds' stats numRecords, where stats are present
  int64_t bytes_added = 0;
};

// The commits of the table at `table_prefix` ("" or ending in '/'), newest first, at most `limit`
// of them (all when unset; InvalidArgument when < 1). Commits whose JSON was cleaned up are not
// listed. NotFound when the log holds no commit; Corruption when a commit line is not JSON.
Result<std::vector<CommitSummary>> ReadHistory(ObjectStore* store, const std::string& table_prefix,
                                               std::optional<int64_t> limit);

// The latest version whose commit timestamp is at or before `timestamp_ms` (reads commits from the
// newest back until it finds one). NotFound naming the earliest commit and its time when the
// timestamp is before it (the caller names the table).
Result<TableVersion> VersionAtTimestamp(ObjectStore* store, const std::string& table_prefix, int64_t timestamp_ms);

}  // namespace lagoa::lake

// VACUUM: deletes the files of a Delta table that its latest version no longer uses and that
// nothing has referenced for longer than the retention period.
//
// A file is deleted when all hold: it lies under the table root but not in `_delta_log/`; no path
// segment below the root is hidden (starts with `_` or `.`, except partition directories named
// `<partition column>=...`), as Delta does; it is not active in the latest snapshot; and its last
// reference — the newest `remove.deletionTimestamp` of its path in the commits still in the log
// (the commit file's mtime for a remove without one), else the file's own mtime (orphans: files a
// writer put but never committed) — is older than now - retention. The data objects are listed
// before the log is read, so a file committed in between is seen as referenced.
//
// Consequences: time travel to a version older than the retention may fail to read files VACUUM
// deleted (the log still names them). A writer's file in flight (put, not yet committed) is safe
// only while it is younger than the retention: hence the 1-hour minimum, refused unless
// `allow_short_retention` is set. Removes older than the oldest retained commit (cleaned-up logs;
// lagoa's checkpoints hold no tombstones) fall back to the file's mtime.
//
// Lifecycle: one call; borrows the store and connection. Threads: one thread at a time per
// connection; readers and writers may use the table meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

inline constexpr std::chrono::milliseconds kVacuumRetentionMin{3600 * 1000};

struct VacuumOptions {
  std::chrono::milliseconds retention{7 * 24 * 3600 * 1000ll};
  bool dry_run = false;                // list what would be deleted, delete nothing
  int64_t now_ms = 0;                  // 0 = the system clock
  bool allow_short_retention = false;  // permit retention < kVacuumRetentionMin (tests)

  static VacuumOptions Defaults() { return {}; }
  Status Validate() const;
};

struct VacuumResult {
  int files_deleted = 0;  // in a dry run: the files that would be deleted
  uint64_t bytes_deleted = 0;
  std::vector<std::string> keys;  // the object keys, sorted
};

Result<VacuumResult> VacuumTable(ObjectStore* store, duck::Connection* duckdb, const std::string& table_prefix,
                                 const VacuumOptions& options);

}  // namespace lagoa::lake

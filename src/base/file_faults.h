// File faults: a test hook under every durable file operation lagoa makes itself (the log's
// segments, key journal and repair records, the stream and object catalogs, the lake's object store
// and checkpoints; Parquet that DuckDB writes to scratch reaches the lake through the object store).
// The operations in file_util.h consult it; nothing else calls the system directly for a write.
//
// A rule names an operation, which of its matching calls to hit, optionally a glob of the paths it
// applies to, and what happens then:
//   op=sync,nth=3,do=EIO                   the third fdatasync/fsync fails with EIO
//   op=write,do=ENOSPC,times=0,path=*/log/*  every write under a log directory fails with ENOSPC
//   op=write,do=short                      the first write writes half its bytes and returns
//   op=rename,nth=2,do=crash               SIGKILL just before the second rename
//   op=rename,do=crash-after               SIGKILL just after the first rename
// Rules are separated by ';'. Keys: op (open|write|sync|rename|link|truncate|any), nth (the first matching
// call hit, from 1; default 1), times (how many calls from nth on; 0 = all; default 1), do (an errno
// name: EIO, ENOSPC, EDQUOT, EFBIG, EROFS, EMFILE; or short, crash, crash-after), path (an fnmatch(3)
// glob; default every path). A call that matches several rules takes the first.
//
// Each hit says so on stderr ("lagoa: file faults: failing sync /path with EIO", "... crashing
// before rename /path"), so that a test can tell a point it reached from one it did not.
//
// Tests set rules in-process with SetFileFaults; `lagoa server` reads LAGOA_FAULTS at start, and
// LAGOA_FAULT_TRACE=FILE appends one line per operation ("sync /path") so that a crash-point sweep
// can list the points a workload passes. With neither set, a hook costs one relaxed atomic load.
//
// Lifecycle: process-wide; rules are replaced whole. Threads: any thread may pass a hook while
// another replaces the rules (a mutex guards them once any rule or trace is set).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "base/status.h"

namespace lagoa {

enum class FileOp : uint8_t { kOpen, kWrite, kSync, kRename, kLink, kTruncate };

std::string_view FileOpName(FileOp op);

// What a hook tells the operation to do. `error` != 0: fail with that errno without calling the
// system. `short_write`: write half (at least one byte) and report that. `crash_after`: call
// CrashAfterFileOp once the operation is done.
struct FileFault {
  int error = 0;
  bool short_write = false;
  bool crash_after = false;
};

// Replaces the rules (an empty text clears them). InvalidArgument naming the rule and key when the
// text does not parse; the old rules stay then.
Status SetFileFaults(std::string_view rules);

// Replaces the rules with LAGOA_FAULTS and the trace with LAGOA_FAULT_TRACE (a file to append to);
// either unset: no rules, no trace.
Status SetFileFaultsFromEnvironment();

// How many calls the rules have hit since they were set.
uint64_t FileFaultsHit();

// The hook: what the operation `op` on `path` does. Does not return when a rule says `crash`.
FileFault CheckFileFault(FileOp op, const std::filesystem::path& path);

// Kills the process (SIGKILL) after saying which operation on which path it followed.
[[noreturn]] void CrashAfterFileOp(FileOp op, const std::filesystem::path& path);

}  // namespace lagoa

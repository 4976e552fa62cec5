// The operator's tools over a log directory, for `lagoa log verify` and `lagoa log repair`:
// CheckLog reads every batch of every segment (CRC, framing, offsets that continue) and reports
// what is damaged; RepairPartition rewrites the damaged segments of one partition with each damaged
// stretch replaced by a gap batch over the offsets it held (README.md, "Repair"), and keeps a
// record of what went in the partition's `repairs` file.
//
// Threads: plain functions, any thread. CheckLog only reads and may run beside a server (a torn
// tail it reports may then be a write in flight); RepairPartition needs the server stopped (the
// caller holds the data directory's lock).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"
#include "log/segment_scan.h"

namespace lagoa::log {

struct SegmentCheck {
  std::filesystem::path path;
  Offset base;
  Offset end;  // after its last good batch
  uint64_t file_bytes = 0;
  uint64_t gap_batches = 0;  // stretches cut out by an earlier repair, or offsets skipped
  bool last = false;         // the partition's active segment
  // Damage that no torn write explains: acknowledged data is unreadable.
  std::vector<DamagedBytes> damage;
  // The last segment only: bytes after the last write's first batch that do not check (a write
  // in flight, or a crash's torn tail, which recovery cuts off).
  std::optional<DamagedBytes> torn;
};

struct PartitionCheck {
  std::string stream;
  PartitionId partition;
  std::filesystem::path dir;
  std::vector<SegmentCheck> segments;

  bool damaged() const;
};

// Every partition of every stream under `log_dir` (only `stream`'s when given), in name order.
Result<std::vector<PartitionCheck>> CheckLog(const std::filesystem::path& log_dir,
                                             const std::optional<std::string>& stream);

// What RepairPartition did to one damaged stretch.
struct RepairedStretch {
  std::filesystem::path segment;
  DamagedBytes damage;
  // The offsets the gap batch took ([first, end)); none when the stretch was the segment's torn
  // tail or its end is unknown (cut off: recovery would have done the same).
  std::optional<std::pair<Offset, Offset>> gap;
};

// Rewrites every segment of `check` that holds damage; returns what it did (empty: nothing was
// damaged). Each rewrite is appended to `<partition>/repairs` (and synced) before the segment is
// replaced, so the record of a cut never goes missing.
Result<std::vector<RepairedStretch>> RepairPartition(const PartitionCheck& check);

}  // namespace lagoa::log

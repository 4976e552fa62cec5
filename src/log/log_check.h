// The operator's tools over a log directory, for `lagoa log verify` and `lagoa log repair`:
// CheckLog reads every batch of every segment (CRC, framing, offsets that continue) and reports
// what is damaged; RepairPartition rewrites the damaged segments of one partition with each damaged
// stretch replaced by what a RebuildSource (the lake's copy) holds of its offsets and gap batches
// over the rest (README.md, "Repair"), and keeps a record of what it did in the partition's
// `repairs` file.
//
// Threads: plain functions, any thread. CheckLog only reads and may run beside a server (a torn
// tail it reports may then be a write in flight); RepairPartition needs the server stopped (the
// caller holds the data directory's lock).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"
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

// What a damaged stretch can be rebuilt from: calls `add` with the records it holds for offsets in
// [first, end), in offset order (payloads valid during the call), and returns the first error
// `add` returns. `lagoa log repair` reads them back from the stream's lake table.
using RebuildSource =
    std::function<Status(Offset first, Offset end, const std::function<Status(const ReadRecord&)>& add)>;

// What RepairPartition did to one damaged stretch.
struct RepairedStretch {
  std::filesystem::path segment;
  DamagedBytes damage;
  // Records the source gave back, in batches at their own offsets.
  uint64_t rebuilt_records = 0;
  // The offsets the source did not hold, each range ([first, end)) now gap batches.
  std::vector<std::pair<Offset, Offset>> gaps;
  // The stretch was the segment's torn tail, or its end is unknown: cut off, as recovery would.
  bool cut = false;
};

// Rewrites every segment of `check` that holds damage; returns what it did (empty: nothing was
// damaged). Each damaged stretch with known offsets is rebuilt from `source` where it holds them
// (none: nowhere), the rest becoming gaps. Each rewrite is appended to `<partition>/repairs` (and
// synced) before the segment is replaced, so the record of a cut never goes missing. A source
// error, or records outside the stretch or out of order, fail the repair before anything changes
// in that segment.
Result<std::vector<RepairedStretch>> RepairPartition(const PartitionCheck& check, const RebuildSource& source = {});

}  // namespace lagoa::log

// ScanSegment: checks every batch of one segment file (magic, sizes, CRC, offsets that continue
// from the segment's base) and tells what the file holds: runs of good batches and the damaged
// bytes between them, found again by searching for the next good batch. Recovery scans the last
// segment with it (and a sealed one whose headers do not walk), `lagoa log verify` every segment,
// `lagoa log repair` the segments it rewrites. Internal to src/log.
//
// Threads: a pure function of the file's bytes (read through a private read-only mapping); any
// thread. The file must not shrink while it runs (nothing truncates a segment but recovery and
// repair, which own the partition then).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa::log {

// A sparse index entry per this many bytes of segment.
inline constexpr uint64_t kIndexIntervalBytes = 4096;

// Consecutive good batches: offsets [first_offset, end_offset) in bytes [begin_byte, end_byte).
struct GoodRun {
  uint64_t begin_byte = 0;
  uint64_t end_byte = 0;
  Offset first_offset;
  Offset end_offset;
  int64_t max_ingest_time_us = 0;
  // Some batch of the run is the first of a write(2) (kBatchFlagWriteStart).
  bool has_write_start = false;
  // Sparse index of the run: its first batch, then one per kIndexIntervalBytes.
  std::vector<std::pair<Offset, uint64_t>> index;
};

// Bytes [begin_byte, end_byte) that do not hold the batches the offsets around them call for.
struct DamagedBytes {
  uint64_t begin_byte = 0;
  uint64_t end_byte = 0;  // the next good run's first byte, or the file's end
  Offset first_offset;    // where the good batches before stopped
  // The next good run's first offset; none when no good batch follows in this file.
  std::optional<Offset> end_offset;
  std::string what;  // what the first bad batch showed
};

struct SegmentLayout {
  uint64_t file_bytes = 0;
  std::vector<GoodRun> runs;         // in file order
  std::vector<DamagedBytes> damage;  // in file order, between (or around) the runs
  uint64_t gap_batches = 0;          // good batches that are gaps (BatchBuilder::GapTo)
  // The first damaged stretch that a torn last write explains: no good batch that starts a write
  // follows it, so it and everything after it were written after the last sync. damage.size()
  // when there is none.
  size_t torn_from = 0;

  bool clean() const { return damage.empty(); }
  // End of the good batches before the torn tail (the file's end when there is none).
  uint64_t kept_bytes() const { return torn_from < damage.size() ? damage[torn_from].begin_byte : file_bytes; }
};

Result<SegmentLayout> ScanSegment(const std::filesystem::path& path, Offset base);
// The same over bytes in memory: `file` is a whole segment whose first offset is `base`.
SegmentLayout ScanSegmentBytes(std::span<const std::byte> file, Offset base);

// "offsets 12 to 15 (bytes 480 to 611): the batch fails its CRC"
std::string DescribeDamage(const DamagedBytes& damage);

}  // namespace lagoa::log

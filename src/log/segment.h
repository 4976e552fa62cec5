// Segment: one file of CRC-framed batches, named by its base offset, plus its sparse index (in
// memory; on disk as `<base>.index` once sealed). Internal to src/log.
//
// Lifecycle: Create() for a new active segment, OpenTail() for the last segment at recovery
// (verifies and truncates), OpenSealed() for the others. Shared (shared_ptr) by the partition and
// its readers, so a segment deleted by retention stays readable through an open reader.
// Threads: the writer methods run on the log's I/O thread only; readers and the maintenance thread
// use the const methods, which are safe concurrently with the writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/segment_scan.h"

namespace lagoa::log {

std::string SegmentFileName(Offset base);  // "00000000000000000042.log"
// The base offset a segment file's name gives; none for any other file.
std::optional<Offset> ParseSegmentFileName(const std::filesystem::path& path);

class Segment {
 public:
  static Result<std::shared_ptr<Segment>> Create(const std::filesystem::path& dir, Offset base);
  // Reads the index file (or walks the batch headers when it is missing or damaged).
  static Result<std::shared_ptr<Segment>> OpenSealed(const std::filesystem::path& dir, Offset base);
  // Checks every batch (CRC, magic, dense offsets from `base`; segment_scan.h) and truncates a torn
  // last write; `truncated_bytes` tells how much went. Damage that a torn write does not explain
  // stays in the file and is listed by damage().
  static Result<std::shared_ptr<Segment>> OpenTail(const std::filesystem::path& dir, Offset base,
                                                   uint64_t* truncated_bytes);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Durable state, as readers see it.
  Offset base_offset() const { return base_; }
  Offset end_offset() const { return Offset(end_offset_.load(std::memory_order_acquire)); }
  uint64_t size_bytes() const { return size_bytes_.load(std::memory_order_acquire); }
  int64_t max_ingest_time_us() const { return max_ingest_time_us_.load(std::memory_order_relaxed); }
  const std::filesystem::path& path() const { return path_; }
  // Damaged bytes found at open (never served), in file order. Fixed once the segment is open.
  const std::vector<DamagedBytes>& damage() const { return damage_; }
  // The damaged stretch that should hold `offset`, if any.
  const DamagedBytes* DamageAt(Offset offset) const;

  // The file position of the last indexed batch at or before `offset` (0 when none).
  uint64_t IndexedPosition(Offset offset) const;
  // Reads up to `n` bytes at `position` into `out` (resized to what was read).
  Status ReadAt(uint64_t position, size_t n, Bytes& out) const;

  // Writer side (I/O thread). Write appends at write_size(); NoteBatch records a batch written at
  // `position`; Publish makes everything written so far visible to readers (after Sync).
  uint64_t write_size() const { return write_size_; }
  Status Write(std::span<const std::byte> data);
  Status Sync();
  // Cuts unpublished bytes off (a failed write's), synced, and forgets their index entries.
  Status TruncateTo(uint64_t size_bytes);
  void NoteBatch(Offset base, uint64_t position);
  void Publish(Offset end, int64_t max_ingest_time_us);
  // Writes the index file (synced) once no more batches will come.
  Status Seal();
  // Unlinks the files; open readers keep reading.
  void RemoveFiles();

 private:
  Segment(std::filesystem::path dir, Offset base, int fd);
  // Notes the batches from `position` (where offset `offset` starts) to the file's end.
  Status WalkHeaders(uint64_t position, Offset offset, uint64_t file_bytes);
  // Takes the index, end and damage from a scan; `truncate`: the torn tail was cut off.
  void Adopt(const SegmentLayout& layout, bool truncate);
  bool LoadIndex();

  const std::filesystem::path dir_;
  const std::filesystem::path path_;
  const Offset base_;
  const int fd_;
  uint64_t write_size_ = 0;  // I/O thread only
  std::atomic<uint64_t> size_bytes_{0};
  std::atomic<int64_t> end_offset_;
  std::atomic<int64_t> max_ingest_time_us_{0};
  std::vector<DamagedBytes> damage_;  // set at open

  struct IndexEntry {
    int64_t offset;
    uint64_t position;
  };
  mutable std::mutex index_mu_;
  std::vector<IndexEntry> index_;  // guarded by index_mu_
};

}  // namespace lagoa::log

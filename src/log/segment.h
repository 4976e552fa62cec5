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
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa::log {

// A sparse index entry per this many bytes of segment.
inline constexpr uint64_t kIndexIntervalBytes = 4096;

std::string SegmentFileName(Offset base);  // "00000000000000000042.log"

class Segment {
 public:
  static Result<std::shared_ptr<Segment>> Create(const std::filesystem::path& dir, Offset base);
  // Reads the index file (or walks the batch headers when it is missing or damaged).
  static Result<std::shared_ptr<Segment>> OpenSealed(const std::filesystem::path& dir, Offset base);
  // Checks every batch (CRC, magic, dense offsets from `base`) and truncates the file at the first
  // one that fails; `truncated_bytes` tells how much went.
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

  // The file position of the last indexed batch at or before `offset` (0 when none).
  uint64_t IndexedPosition(Offset offset) const;
  // Reads up to `n` bytes at `position` into `out` (resized to what was read).
  Status ReadAt(uint64_t position, size_t n, Bytes& out) const;

  // Writer side (I/O thread). Write appends at write_size(); NoteBatch records a batch written at
  // `position`; Publish makes everything written so far visible to readers (after Sync).
  uint64_t write_size() const { return write_size_; }
  Status Write(std::span<const std::byte> data);
  Status Sync();
  void NoteBatch(Offset base, uint64_t position);
  void Publish(Offset end, int64_t max_ingest_time_us);
  // Writes the index file (synced) once no more batches will come.
  Status Seal();
  // Unlinks the files; open readers keep reading.
  void RemoveFiles();

 private:
  Segment(std::filesystem::path dir, Offset base, int fd);
  Status WalkHeaders(uint64_t from_position, uint64_t file_bytes);
  bool LoadIndex();

  const std::filesystem::path dir_;
  const std::filesystem::path path_;
  const Offset base_;
  const int fd_;
  uint64_t write_size_ = 0;  // I/O thread only
  std::atomic<uint64_t> size_bytes_{0};
  std::atomic<int64_t> end_offset_;
  std::atomic<int64_t> max_ingest_time_us_{0};

  struct IndexEntry {
    int64_t offset;
    uint64_t position;
  };
  mutable std::mutex index_mu_;
  std::vector<IndexEntry> index_;  // guarded by index_mu_
};

}  // namespace lagoa::log

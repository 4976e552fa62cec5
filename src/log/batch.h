// Batch framing: the on-disk form of one BatchBuilder (layout: README.md, "Batch"). Internal to
// src/log. Pure functions over bytes; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "log/log.h"

namespace lagoa::log {

inline constexpr uint32_t kBatchMagic = 0x3142474C;  // "LGB1" read as little-endian bytes
inline constexpr size_t kBatchHeaderBytes = 56;
// A batch is at most this large (a 16 MiB body frames into well under it).
inline constexpr uint32_t kBatchBytesMax = 256u << 20;
// Header flag: the batch is the first of one write(2). Bytes after the last write's first batch
// are the only ones a crash can leave torn (every earlier write was synced before it), so
// recovery tells a torn tail from corruption by looking for a later batch with this flag.
inline constexpr uint32_t kBatchFlagWriteStart = 1;
// Header flag: a gap (BatchBuilder::Gap): no record section, record_count offsets that hold no
// record, min/max event time 0.
inline constexpr uint32_t kBatchFlagGap = 2;

struct BatchHeader {
  uint32_t batch_bytes = 0;
  uint32_t crc = 0;
  uint32_t record_count = 0;
  Offset base_offset;
  SchemaVersion schema_version;
  uint32_t flags = 0;
  int64_t ingest_time_us = 0;
  int64_t min_event_time_us = 0;
  int64_t max_event_time_us = 0;

  Offset end_offset() const { return base_offset + record_count; }
  bool gap() const { return (flags & kBatchFlagGap) != 0; }
  bool write_start() const { return (flags & kBatchFlagWriteStart) != 0; }
};

class BatchFraming {
 public:
  // Appends the framed batch to `out`.
  static void Frame(const BatchBuilder& batch, Offset base_offset, int64_t ingest_time_us, uint32_t flags, Bytes& out);
  static uint64_t FramedBytes(const BatchBuilder& batch);

  // Reads the header at the front of `bytes`: Corruption when the bytes are too short for a header,
  // the magic is wrong or the sizes are impossible. The records are not checked (see VerifyCrc).
  static Result<BatchHeader> ParseHeader(std::span<const std::byte> bytes);
  // True when `batch` (exactly header.batch_bytes long) matches its CRC.
  static bool VerifyCrc(const BatchHeader& header, std::span<const std::byte> batch);
  // Appends the records of a CRC-checked batch with offset >= `from` to `out` (none for a gap);
  // payloads point into `batch`. Corruption when the records do not fit the header.
  static Status DecodeRecords(const BatchHeader& header, std::span<const std::byte> batch, Offset from,
                              std::vector<ReadRecord>& out);
};

}  // namespace lagoa::log

// TailCache: a stream's live tail, decoded once and kept between statements. Without it every
// statement that reads a stream decodes every event the lake has not loaded yet — up to a whole
// loader interval of events, again and again. With it a statement decodes only the events that
// arrived since the previous statement and reads the rest as DuckDB vectors it references
// without copying (log_tail_scan.cc).
//
// The cache holds, per stream partition, blocks of up to one DuckDB vector (2,048 rows) of the
// stream's latest schema plus the four metadata columns, covering a contiguous range of offsets
// that ends where the last statement read to. A statement asks for [from, end): blocks wholly
// below `from` (the lake has loaded them) are dropped, the log from the cached end up to `end` is
// decoded into new blocks, and the blocks covering [from, end) are returned. Whatever does not fit
// in the byte budget is read from the log by the statement itself, as before the cache.
//
// Lifecycle: one per SqlEngine, created before its database and destroyed after it (queries hold
// blocks through shared pointers, so a block lives as long as its longest reader).
// Threads: any; one mutex guards the map and the byte count, and each partition's entry has its
// own mutex held while it decodes, so statements on other streams never wait for it. Blocks are
// immutable once returned.
#pragma once

#include <duckdb.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "duck/handles.h"
#include "ingest/stream_registry.h"
#include "log/log.h"

namespace lagoa::sql::internal {

// Rows of one partition at consecutive log positions, decoded; immutable once built.
class TailBlock {
 public:
  using Payloads = std::vector<std::shared_ptr<const std::byte[]>>;
  TailBlock(duck::DataChunkHandle chunk, Payloads payloads, size_t payload_bytes)
      : chunk_(std::move(chunk)),
        payloads_(std::move(payloads)),
        payload_bytes_(payload_bytes),
        bytes_(payload_bytes + duckdb_data_chunk_get_column_count(chunk_.get()) * kColumnBytes * duckdb_vector_size()) {
  }

  // The latest schema's columns, then _offset, _partition, _ingested_at, _event_time. Strings
  // longer than 12 bytes point into this block's payloads.
  duckdb_data_chunk chunk() const { return chunk_.get(); }
  idx_t rows() const { return duckdb_data_chunk_get_size(chunk_.get()); }
  const int64_t* offsets() const;  // ascending; the _offset column
  Offset first() const { return Offset(offsets()[0]); }
  Offset last() const { return Offset(offsets()[rows() - 1]); }
  // What the budget counts for it: every column as 16 bytes (a string_t; wider than most values)
  // over the whole vector, whether or not the block is full, plus the payloads.
  size_t bytes() const { return bytes_; }
  // The record bytes its strings point into (a block that extends a partial one shares that
  // one's), and their size.
  const Payloads& payloads() const { return payloads_; }
  size_t payload_bytes() const { return payload_bytes_; }

  static constexpr size_t kColumnBytes = 16;

 private:
  duck::DataChunkHandle chunk_;
  Payloads payloads_;
  size_t payload_bytes_;
  size_t bytes_;
};

// Checks `payload` (the record's bytes, which must outlive the vectors: long strings point into
// it) and writes it into row `row`: the stream's latest columns into `columns` and _offset,
// _partition, _ingested_at, _event_time into `metadata` (kTailMetadataColumns); a null vector is
// not written. Corruption names the stream, partition, offset and column.
inline constexpr size_t kTailMetadataColumns = 4;
Status DecodeTailRow(const schema::StreamDefinition& definition, int32_t partition, const log::ReadRecord& record,
                     std::span<const std::byte> payload, std::span<const duckdb_vector> columns,
                     std::span<const duckdb_vector> metadata, idx_t row);

// What a statement reads of one partition: offsets in [from, cached_from) from the log itself,
// the rest from `blocks` (in offset order; the first may start below `from` and the last end past
// the statement's end: select rows by offset).
struct TailSlice {
  Offset cached_from;
  std::vector<std::shared_ptr<const TailBlock>> blocks;
};

class TailCache {
 public:
  // budget_bytes 0 turns the cache off: Read returns no blocks.
  explicit TailCache(size_t budget_bytes) : budget_bytes_(budget_bytes) {}

  // The cached rows of `partition` for offsets in [from, end), after decoding the log up to `end`.
  // `from` is at least the log's start offset. Corruption when a record fails its checks (the
  // same errors as reading the log directly).
  Result<TailSlice> Read(const ingest::StreamHandle& stream, int32_t partition, Offset from, Offset end);

  size_t bytes() const;  // held now, across every partition

 private:
  // One partition of one incarnation and schema version of a stream.
  using Key = std::tuple<std::string, int32_t, int64_t, uint32_t>;  // name, partition, created_us, schema version
  struct Entry {
    std::mutex mu;                                         // held while reading or decoding; guards `blocks` and `end`
    std::vector<std::shared_ptr<const TailBlock>> blocks;  // contiguous, ascending
    Offset end;  // one past the last cached offset; valid when blocks is non-empty
    // Guarded by the cache's mu_:
    size_t bytes = 0;   // of `blocks`
    uint64_t used = 0;  // the cache's use counter at the last Read (least recently used first out)
    bool gone = false;  // out of the map (its stream changed): no longer counted in the total
  };

  // The entry of `key`; entries of the same stream partition with another incarnation or schema
  // version are dropped (no statement plans with them any more).
  std::shared_ptr<Entry> FindOrAdd(const Key& key);
  // Adds `delta` to the entry's byte count and, unless it is gone, to the cache's; the new total.
  size_t Account(Entry& entry, std::ptrdiff_t delta);
  // Decodes the log of `partition` from `from` to `end` into new blocks at the end of the entry
  // (`entry.mu` held; the entry's blocks end just before `from`). The first new block starts with
  // a copy of `partial`'s rows when given (the entry's last block, not full, taken out of it).
  Status Decode(const ingest::StreamHandle& stream, int32_t partition, Offset from, Offset end,
                std::shared_ptr<const TailBlock> partial, Entry& entry);
  void Clear(Entry& entry);  // `entry.mu` held
  // Drops the entry's blocks from the front until the cache fits its budget (`entry.mu` held).
  void TrimToBudget(Entry& entry);
  // Empties least recently used entries other than `keep` until the cache fits its budget;
  // entries busy in another statement are skipped.
  void EvictOthers(const Entry* keep);

  const size_t budget_bytes_;
  mutable std::mutex mu_;  // guards entries_, bytes_ and uses_
  std::map<Key, std::shared_ptr<Entry>> entries_;
  size_t bytes_ = 0;
  // The live tails' share of the memory budget on /metrics (bytes_, as it changes).
  Gauge* used_gauge_ = MetricsRegistry::Global().GetGauge(
      "lagoa_memory_used_bytes", "Memory a share of the budget holds now.", {{"share", "sql_tail_cache"}});
  uint64_t uses_ = 0;
};

}  // namespace lagoa::sql::internal

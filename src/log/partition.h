// PartitionImpl: one partition of a stream: its segments, its write state (owned by the log's I/O
// thread) and its published state (read by anyone). Internal to src/log.
//
// Lifecycle: made by LogImpl when a stream is created or recovered; lives as long as the Log.
// Threads: Append, OpenReader, WaitForData, stats and consumer offsets from any thread; Stage,
// WriteStaged, SyncActive and Publish on the I/O thread only; ApplyRetention on the maintenance
// thread. segments_mu_ guards the segment list, which the I/O thread grows and retention shrinks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "log/log.h"
#include "log/producer_keys.h"
#include "log/segment.h"

namespace lagoa::log {

class PartitionImpl;

// What a partition needs from its log.
class LogCore {
 public:
  virtual ~LogCore() = default;
  virtual void Enqueue(PartitionImpl* partition, BatchBuilder&& batch, AppendCallback done) = 0;
  virtual const LogOptions& options() const = 0;
};

class PartitionImpl final : public Partition {
 public:
  // `create`: a new, empty partition directory with its first segment; otherwise recovers `dir`.
  static Result<std::unique_ptr<PartitionImpl>> Open(LogCore* core, std::string stream, PartitionId id,
                                                     std::filesystem::path dir, bool create);

  void Append(BatchBuilder&& batch, AppendCallback done) override;
  void SkipTo(Offset next, AppendCallback done) override;
  Result<std::unique_ptr<Reader>> OpenReader(Offset from) override;
  bool WaitForData(Offset offset, std::chrono::milliseconds timeout_ms) override;
  Offset next_offset() const override { return Offset(next_offset_.load(std::memory_order_acquire)); }
  PartitionStats stats() const override;
  Status CommitConsumerOffset(std::string_view consumer, Offset next) override;
  std::optional<Offset> ConsumerOffset(std::string_view consumer) const override;

  const std::string& stream() const { return stream_; }
  PartitionId id() const { return id_; }

  // I/O thread. Stage frames the batch after the ones staged before (rolling the active segment
  // first when it is full); WriteStaged writes them; SyncActive makes them durable; Publish makes
  // them visible to readers and wakes waiters.
  // A batch with a producer key has it remembered, and written to the key journal before the
  // batch's bytes reach the segment (producer_keys.h).
  Result<AppendResult> Stage(const BatchBuilder& batch, int64_t ingest_time_us);
  // The first append's offsets when `key` (may be empty: none) is remembered.
  std::optional<AppendResult> FindProducerKey(const std::string& key, int64_t now_us);
  Status WriteStaged();
  Status SyncActive();
  void Publish();
  // A group commit touches the partition: RollBackCycle() undoes what Stage and WriteStaged do
  // from here on (the segment cut back and synced, the keys forgotten), unless a segment rolled
  // meanwhile (FailedPrecondition: the log then fails stop).
  void StartCycle();
  Status RollBackCycle();

  // Maintenance thread: deletes sealed segments that the policy lets go and that end at or
  // before `keep_from`. Returns the bytes deleted.
  uint64_t ApplyRetention(const RetentionPolicy& policy, Offset keep_from, int64_t now_us);

  // The log's I/O thread marks a dropped partition; its queued appends then fail.
  void MarkDropped();
  void Undrop() { dropped_.store(false, std::memory_order_release); }  // the drop failed
  bool dropped() const { return dropped_.load(std::memory_order_acquire); }

  // Readers: the segment holding `offset`, or the first one after it; nullptr past the end.
  std::shared_ptr<Segment> SegmentFor(Offset offset) const;

 private:
  PartitionImpl(LogCore* core, std::string stream, PartitionId id, std::filesystem::path dir)
      : core_(core), stream_(std::move(stream)), id_(id), dir_(std::move(dir)) {}
  Status Recover();
  Status LoadConsumerOffsets();
  Status Roll();  // I/O thread

  LogCore* const core_;
  const std::string stream_;
  const PartitionId id_;
  const std::filesystem::path dir_;
  std::atomic<bool> dropped_{false};
  // Why appends are refused: damaged batches found at open (empty: none). Set before the
  // partition is shared.
  std::string writes_stopped_;

  mutable std::mutex segments_mu_;
  std::vector<std::shared_ptr<Segment>> segments_;  // by base offset; guarded by segments_mu_
  std::atomic<int64_t> start_offset_{0};
  std::atomic<int64_t> next_offset_{0};  // published: every offset below it is durable

  // I/O thread only.
  std::shared_ptr<Segment> active_;
  Offset write_next_;
  Bytes staged_;
  int64_t staged_max_ingest_us_ = 0;
  std::unique_ptr<ProducerKeys> producer_keys_;
  std::shared_ptr<Segment> cycle_segment_;  // what StartCycle() saw
  uint64_t cycle_write_bytes_ = 0;
  Offset cycle_next_;

  std::mutex wait_mu_;
  std::condition_variable data_arrived_;

  mutable std::mutex consumers_mu_;
  std::map<std::string, Offset, std::less<>> consumers_;  // guarded by consumers_mu_
};

}  // namespace lagoa::log

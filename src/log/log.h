// The durable event log: streams of partitions, each an append-only sequence of CRC-framed batches
// of typed records with dense 64-bit offsets (format: README.md).
//
// Lifecycle: Log::Open() recovers every stream found under the directory (truncating torn tails),
// Start() starts the I/O thread (group commit) and the maintenance thread (free-space guard,
// retention), Stop() completes every queued append (syncing it) and joins both threads. Streams and
// partitions live as long as the Log, even after DropStream (raw pointers stay valid).
// Threads: every public method is safe from any thread. Append callbacks run on the I/O thread and
// must not block; readers are used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa::log {

enum class Durability {
  kFsync,  // an append is acknowledged after fdatasync of its bytes (the default)
  kNone,   // acknowledged after write(2): a crash of the machine loses data. Benchmarks only.
};

struct LogOptions {
  std::filesystem::path dir;
  Durability durability = Durability::kFsync;
  uint64_t segment_bytes_max = 128ull << 20;
  // Appends are refused with DiskFull while free space on `dir` is below the larger of these.
  uint64_t free_space_min_bytes = 1ull << 30;
  double free_space_min_percent = 5.0;
  // Bytes of appends queued and not yet durable; beyond it Append fails with ResourceExhausted.
  uint64_t pending_bytes_max = 64ull << 20;
  // How often the maintenance thread checks free space and applies retention.
  std::chrono::milliseconds maintenance_interval_ms{1000};
  // A batch appended with a producer key (BatchBuilder::set_producer_key) is remembered this long,
  // and at most this many keys per partition (the oldest go first), so a retry is not appended
  // twice (README.md, "Producer keys").
  std::chrono::milliseconds producer_key_window_ms{std::chrono::hours(24)};
  size_t producer_keys_max = 100000;

  Status Validate() const;
};

// Deletes whole sealed segments once every event in them is older than max_age_ms (by ingest time)
// or while the partition is larger than max_bytes. -1 disables a limit.
struct RetentionPolicy {
  int64_t max_age_ms = -1;
  int64_t max_bytes = -1;
};

struct StreamOptions {
  int32_t partitions = 1;
  RetentionPolicy retention;
};

// Collects the records of one batch. All records of a batch share one schema version.
inline constexpr size_t kProducerKeyBytesMax = 255;

class BatchBuilder {
 public:
  explicit BatchBuilder(SchemaVersion schema_version) : schema_version_(schema_version) {}
  // A batch that holds no record and takes every offset from where it lands up to `next`
  // (exclusive; nothing when it lands at or past `next`): what the log writes where offsets were
  // lost (Partition::SkipTo, `lagoa log repair`). Readers pass over it.
  static BatchBuilder GapTo(Offset next);
  void Add(int64_t event_time_us, std::span<const std::byte> record);

  SchemaVersion schema_version() const { return schema_version_; }
  // A producer's idempotency key (1 to kProducerKeyBytesMax bytes): an append whose key the
  // partition remembers appends nothing and answers the first append's offsets. Not stored in
  // the batch; the partition keeps it beside its segments.
  void set_producer_key(std::string key);
  const std::string& producer_key() const { return producer_key_; }
  uint32_t record_count() const { return static_cast<uint32_t>(event_times_us_.size()); }
  bool empty() const { return !gap() && event_times_us_.empty(); }
  bool gap() const { return gap_to_.has_value(); }
  Offset gap_to() const { return gap_to_.value_or(Offset(0)); }
  // Bytes the batch takes in the log once framed (header included).
  uint64_t framed_bytes() const;

 private:
  friend class BatchFraming;
  SchemaVersion schema_version_;
  std::string producer_key_;
  std::optional<Offset> gap_to_;
  std::vector<int64_t> event_times_us_;
  std::vector<uint32_t> sizes_;
  Bytes payload_;  // the records, back to back
};

struct AppendResult {
  Offset first_offset;
  Offset last_offset;
  bool duplicate = false;  // the producer key was seen: these are the first append's offsets
};
using AppendCallback = std::function<void(Result<AppendResult>)>;

// One record as read back. `payload` points into the reader's buffer and stays valid until the
// reader's next Next() call.
struct ReadRecord {
  Offset offset;
  SchemaVersion schema_version;
  int64_t event_time_us = 0;
  int64_t ingest_time_us = 0;
  std::span<const std::byte> payload;
};

struct PartitionStats {
  Offset start_offset;  // the oldest offset still in the log (retention moves it)
  Offset next_offset;   // the offset the next durable append gets
  uint64_t size_bytes = 0;
  uint64_t segment_count = 0;
};

// Reads a partition in offset order from a start offset, up to what is durable.
// Lifecycle: from Partition::OpenReader; may outlive a DropStream or retention (it keeps open
// files). Threads: one at a time.
class Reader {
 public:
  virtual ~Reader() = default;
  // The next records, about `max_bytes` of payload (at least one batch when any is durable);
  // empty when the reader has caught up. Corruption names the segment and position of a batch
  // that fails its CRC; OutOfRange when retention deleted the reader's position.
  virtual Result<std::vector<ReadRecord>> Next(size_t max_bytes) = 0;
  // The offset of the next record Next() returns.
  virtual Offset position() const = 0;
};

class Partition {
 public:
  virtual ~Partition() = default;
  // Queues the batch for the next group commit; `done` runs once the batch is durable (or failed).
  // Fails at once (through `done`, before returning) with ResourceExhausted when the queue is
  // full, DiskFull under the free-space guard, Unavailable after a failed sync or Stop(), or
  // while damaged batches found at open stop the partition's writes (README.md, "Recovery").
  virtual void Append(BatchBuilder&& batch, AppendCallback done) = 0;
  // Makes sure no later append gets an offset below `next`: when the partition is behind, a gap
  // batch takes the offsets up to it (for a consumer, such as the lake, that holds offsets the
  // log lost). `done` gets the offsets skipped (last < first when none).
  virtual void SkipTo(Offset next, AppendCallback done) = 0;
  // OutOfRange when `from` is below start_offset; `from` past the end reads nothing until data
  // arrives.
  virtual Result<std::unique_ptr<Reader>> OpenReader(Offset from) = 0;
  // Blocks until next_offset() > `offset` or the timeout passes; true when data is there.
  virtual bool WaitForData(Offset offset, std::chrono::milliseconds timeout_ms) = 0;
  virtual Offset next_offset() const = 0;
  virtual PartitionStats stats() const = 0;

  // Named consumer positions (for consumers that resume where they stopped), stored durably before
  // Commit returns.
  virtual Status CommitConsumerOffset(std::string_view consumer, Offset next) = 0;
  virtual std::optional<Offset> ConsumerOffset(std::string_view consumer) const = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;
  virtual const std::string& name() const = 0;
  virtual int32_t partition_count() const = 0;
  virtual Partition* partition(PartitionId id) = 0;  // asserts 0 <= id < partition_count()
  virtual RetentionPolicy retention() const = 0;
};

// Returns, per partition, the lowest offset retention must keep (e.g. the first offset the lake
// has not committed). Called on the maintenance thread.
using RetentionGuard = std::function<Offset(const std::string& stream, PartitionId partition)>;

class Log {
 public:
  static Result<std::unique_ptr<Log>> Open(const LogOptions& options);
  virtual ~Log() = default;

  virtual Status Start() = 0;
  virtual void Stop() = 0;

  // AlreadyExists when a stream of that name exists.
  virtual Result<Stream*> CreateStream(const std::string& name, const StreamOptions& options) = 0;
  virtual Stream* FindStream(std::string_view name) const = 0;
  virtual std::vector<Stream*> ListStreams() const = 0;
  // Removes the stream and its files; queued appends to it fail with NotFound.
  virtual Status DropStream(std::string_view name) = 0;

  virtual void SetRetentionGuard(RetentionGuard guard) = 0;
  // True after a sync failed (or a failed write could not be undone): the log refuses writes until
  // restarted (fail-stop).
  virtual bool failed() const = 0;
};

}  // namespace lagoa::log

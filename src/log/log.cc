#include "log/log.h"

#include <sys/statvfs.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <span>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "base/metrics.h"
#include "base/thread_name.h"
#include "log/batch.h"
#include "log/partition.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStreamMetaFile = "stream.meta";
constexpr std::string_view kCreatingPrefix = ".creating-";
constexpr std::string_view kDroppedPrefix = ".dropped-";
constexpr size_t kStreamNameBytesMax = 200;

Status ValidateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kStreamNameBytesMax && name[0] != '.';
  for (char c : name) ok = ok && c != '/' && c != '\0';
  if (ok) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "log stream name `{}`: expected 1 to {} bytes, not starting with '.', without '/'", name, kStreamNameBytesMax));
}

std::string MetaText(const StreamOptions& options) {
  return fmt::format("lagoa-stream 1\npartitions {}\nretention_max_age_ms {}\nretention_max_bytes {}\n",
                     options.partitions, options.retention.max_age_ms, options.retention.max_bytes);
}

Result<StreamOptions> ParseMeta(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(fmt::format("cannot read {}", path.string()));
  StreamOptions options;
  std::string key;
  int64_t value = 0;
  bool has_header = false;
  while (in >> key >> value) {
    if (key == "lagoa-stream") {
      has_header = value == 1;
    } else if (key == "partitions") {
      options.partitions = static_cast<int32_t>(value);
    } else if (key == "retention_max_age_ms") {
      options.retention.max_age_ms = value;
    } else if (key == "retention_max_bytes") {
      options.retention.max_bytes = value;
    }
  }
  if (!has_header || options.partitions < 1) {
    return Status::Corruption(fmt::format("{}: expected `lagoa-stream 1` and `partitions N` (N >= 1)", path.string()));
  }
  return options;
}

class StreamImpl final : public Stream {
 public:
  StreamImpl(std::string name, StreamOptions options) : name_(std::move(name)), options_(options) {}
  const std::string& name() const override { return name_; }
  int32_t partition_count() const override { return static_cast<int32_t>(partitions_.size()); }
  Partition* partition(PartitionId id) override { return impl(id); }
  RetentionPolicy retention() const override { return options_.retention; }

  PartitionImpl* impl(PartitionId id) const {
    LAGOA_ASSERT(id.value() >= 0 && id.value() < partition_count());
    return partitions_[static_cast<size_t>(id.value())].get();
  }
  std::vector<std::unique_ptr<PartitionImpl>> partitions_;
  Gauge* size_gauge = nullptr;

 private:
  std::string name_;
  StreamOptions options_;
};

struct QueuedAppend {
  PartitionImpl* partition = nullptr;
  std::optional<BatchBuilder> batch;
  AppendCallback done;
  uint64_t framed_bytes = 0;
  int64_t enqueued_ns = 0;
  std::function<void()> control;  // instead of an append: runs on the I/O thread between cycles
};

class LogImpl final : public Log, public LogCore {
 public:
  explicit LogImpl(LogOptions options) : options_(std::move(options)) {
    auto& metrics = MetricsRegistry::Global();
    append_seconds_ = metrics.GetHistogram("lagoa_log_append_seconds",
                                           "From an append's arrival at the log to its acknowledgement (durable).");
    fsync_seconds_ = metrics.GetHistogram("lagoa_log_fsync_seconds", "fdatasync calls of log segments.");
    batches_ = metrics.GetCounter("lagoa_log_appended_batches_total", "Batches made durable.");
    failed_gauge_ = metrics.GetGauge("lagoa_log_failed", "1 after a write or sync failed (fail-stop).");
    disk_full_gauge_ = metrics.GetGauge("lagoa_log_free_space_guard", "1 while the free-space guard refuses appends.");
    pending_gauge_ =
        metrics.GetGauge("lagoa_memory_used_bytes", "Memory a share of the budget holds now.", {{"share", "log"}});
  }
  ~LogImpl() override { Stop(); }

  Status Recover();
  Status Start() override;
  void Stop() override;
  Result<Stream*> CreateStream(const std::string& name, const StreamOptions& options) override;
  Stream* FindStream(std::string_view name) const override;
  std::vector<Stream*> ListStreams() const override;
  Status DropStream(std::string_view name) override;
  void SetRetentionGuard(RetentionGuard guard) override {
    std::lock_guard lock(streams_mu_);
    guard_ = std::move(guard);
  }
  bool failed() const override { return failed_.load(std::memory_order_acquire); }

  void Enqueue(PartitionImpl* partition, BatchBuilder&& batch, AppendCallback done) override;
  const LogOptions& options() const override { return options_; }

 private:
  Result<std::unique_ptr<StreamImpl>> OpenStream(const std::string& name, const fs::path& dir,
                                                 const StreamOptions& options, bool create);
  void IoLoop();
  void RunCycle(std::span<QueuedAppend> items);
  void FailStop(const Status& cause);
  Status RollBack(const std::vector<PartitionImpl*>& touched, const Status& cause);
  void RunOnIoThread(std::function<void()> fn);
  void MaintenanceLoop();
  // Free space on the log's file system and the minimum the guard keeps; none when statvfs fails.
  struct DiskSpace {
    uint64_t total_bytes = 0;
    uint64_t free_bytes = 0;
    uint64_t min_bytes = 0;
  };
  std::optional<DiskSpace> ReadDiskSpace() const;
  std::string DiskFullMessage(const DiskSpace& space, uint64_t append_bytes) const;
  void SetDiskFull(bool full, const std::string& message);
  void CheckFreeSpace();
  void ApplyRetention();

  const LogOptions options_;
  Histogram* append_seconds_;
  Histogram* fsync_seconds_;
  Counter* batches_;
  Gauge* failed_gauge_;
  Gauge* disk_full_gauge_;
  Gauge* pending_gauge_;  // the log's share of the memory budget: bytes queued for group commit

  mutable std::mutex streams_mu_;
  std::map<std::string, std::unique_ptr<StreamImpl>, std::less<>> streams_;  // guarded by streams_mu_
  std::vector<std::unique_ptr<StreamImpl>> dropped_;  // kept so raw pointers stay valid; streams_mu_
  RetentionGuard guard_;                              // guarded by streams_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<QueuedAppend> queue_;  // guarded by queue_mu_
  bool running_ = false;             // guarded by queue_mu_; false once Stop() begins
  bool io_active_ = false;           // guarded by queue_mu_; true until the I/O thread has drained and exited
  std::atomic<uint64_t> pending_bytes_{0};
  std::thread io_thread_;

  std::atomic<bool> failed_{false};
  std::string failure_;  // set once before failed_ becomes true
  std::atomic<bool> disk_full_{false};
  std::mutex disk_mu_;
  std::string disk_full_message_;  // guarded by disk_mu_

  // Serializes renaming and deleting files under the log directory: retention's deletions against
  // DropStream and CreateStream, so a stream dropped and re-created under the same name never
  // loses a file to retention working on the old one.
  std::mutex files_mu_;

  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool maintenance_stop_ = false;  // guarded by maintenance_mu_
  std::thread maintenance_thread_;
};

Status LogImpl::Recover() {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) return Status::IoError(fmt::format("create log directory {}: {}", options_.dir.string(), ec.message()));
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) entries.push_back(entry.path());
  if (ec) return Status::IoError(fmt::format("list {}: {}", options_.dir.string(), ec.message()));
  for (const fs::path& path : entries) {
    std::string name = path.filename().string();
    if (name.starts_with(kCreatingPrefix) || name.starts_with(kDroppedPrefix)) {
      fs::remove_all(path, ec);  // an interrupted create or drop
      continue;
    }
    if (!fs::is_directory(path)) continue;
    if (!fs::exists(path / kStreamMetaFile)) {
      spdlog::warn("log: ignoring {}: not a stream (no {})", path.string(), kStreamMetaFile);
      continue;
    }
    LAGOA_ASSIGN_OR_RETURN(StreamOptions options, ParseMeta(path / kStreamMetaFile));
    LAGOA_ASSIGN_OR_RETURN(auto stream, OpenStream(name, path, options, false));
    streams_.emplace(name, std::move(stream));
  }
  return Status::Ok();
}

Result<std::unique_ptr<StreamImpl>> LogImpl::OpenStream(const std::string& name, const fs::path& dir,
                                                        const StreamOptions& options, bool create) {
  auto stream = std::make_unique<StreamImpl>(name, options);
  for (int32_t p = 0; p < options.partitions; ++p) {
    LAGOA_ASSIGN_OR_RETURN(auto partition,
                           PartitionImpl::Open(this, name, PartitionId(p), dir / std::to_string(p), create));
    stream->partitions_.push_back(std::move(partition));
  }
  stream->size_gauge = MetricsRegistry::Global().GetGauge("lagoa_log_size_bytes", "Bytes of log segments per stream.",
                                                          {{"stream", name}});
  return stream;
}

Status LogImpl::Start() {
  {
    std::lock_guard lock(queue_mu_);
    if (running_ || io_active_) return Status::FailedPrecondition("the log is running already");
    running_ = true;
    io_active_ = true;
  }
  CheckFreeSpace();
  io_thread_ = std::thread([this] {
    SetCurrentThreadName("lagoa-log-io");
    IoLoop();
  });
  {
    std::lock_guard lock(maintenance_mu_);
    maintenance_stop_ = false;
  }
  maintenance_thread_ = std::thread([this] {
    SetCurrentThreadName("lagoa-log-maint");
    MaintenanceLoop();
  });
  return Status::Ok();
}

void LogImpl::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    running_ = false;
  }
  queue_cv_.notify_all();
  if (io_thread_.joinable()) io_thread_.join();  // drains the queue first
  {
    std::lock_guard lock(maintenance_mu_);
    maintenance_stop_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
}

Result<Stream*> LogImpl::CreateStream(const std::string& name, const StreamOptions& options) {
  LAGOA_RETURN_IF_ERROR(ValidateName(name));
  if (options.partitions < 1) {
    return Status::InvalidArgument(fmt::format("stream {}: partitions must be at least 1", name));
  }
  std::lock_guard files_lock(files_mu_);
  std::lock_guard lock(streams_mu_);
  if (streams_.contains(name)) return Status::AlreadyExists(fmt::format("log stream `{}` exists already", name));
  // Built under a temporary name and renamed: a crash never leaves half a stream.
  fs::path building = options_.dir / (std::string(kCreatingPrefix) + name);
  fs::path final_dir = options_.dir / name;
  std::error_code ec;
  fs::remove_all(building, ec);
  fs::create_directories(building, ec);
  if (ec) return Status::IoError(fmt::format("create {}: {}", building.string(), ec.message()));
  auto stream = OpenStream(name, building, options, true);
  Status s = stream.ok() ? WriteFileAtomically(building / kStreamMetaFile, MetaText(options)) : stream.status();
  const bool renamed = s.ok() && (s = RenameFile(building, final_dir)).ok();
  if (s.ok()) s = SyncDir(options_.dir);
  if (!s.ok()) {
    fs::remove_all(renamed ? final_dir : building, ec);  // not created: nor after a restart
    return s;
  }
  // The partitions opened under the temporary name; reopen them where they now live.
  stream = OpenStream(name, final_dir, options, false);
  if (!stream.ok()) return stream.status();
  Stream* raw = stream->get();
  streams_.emplace(name, std::move(stream).value());
  return raw;
}

Stream* LogImpl::FindStream(std::string_view name) const {
  std::lock_guard lock(streams_mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::vector<Stream*> LogImpl::ListStreams() const {
  std::lock_guard lock(streams_mu_);
  std::vector<Stream*> out;
  for (const auto& [name, stream] : streams_) out.push_back(stream.get());
  return out;
}

Status LogImpl::DropStream(std::string_view name) {
  StreamImpl* stream = nullptr;
  {
    std::lock_guard lock(streams_mu_);
    auto it = streams_.find(name);
    if (it == streams_.end()) return Status::NotFound(fmt::format("log stream `{}` does not exist", name));
    stream = it->second.get();
    dropped_.push_back(std::move(it->second));
    streams_.erase(it);
  }
  // Between two group commits: appends queued before the drop are written and acknowledged first,
  // later ones fail, and no write to its files is in flight afterwards.
  RunOnIoThread([stream] {
    for (auto& p : stream->partitions_) p->MarkDropped();
  });
  std::lock_guard files_lock(files_mu_);
  fs::path dir = options_.dir / std::string(name);
  fs::path doomed = options_.dir / fmt::format("{}{}-{}", kDroppedPrefix, name, MonotonicNowNanos());
  if (Status failed = RenameFile(dir, doomed); !failed.ok()) {
    // Its files are intact: the stream keeps working, so that the drop can be tried again.
    std::lock_guard lock(streams_mu_);
    for (auto& p : stream->partitions_) p->Undrop();
    for (auto it = dropped_.begin(); it != dropped_.end(); ++it) {
      if (it->get() == stream) {
        streams_.emplace(stream->name(), std::move(*it));
        dropped_.erase(it);
        break;
      }
    }
    return failed;
  }
  LAGOA_RETURN_IF_ERROR(SyncDir(options_.dir));
  std::error_code ec;
  fs::remove_all(doomed, ec);
  if (stream->size_gauge != nullptr) stream->size_gauge->Set(0);
  return Status::Ok();
}

void LogImpl::RunOnIoThread(std::function<void()> fn) {
  std::promise<void> ran;
  {
    std::unique_lock lock(queue_mu_);
    if (io_active_) {  // the I/O thread runs the queue to its end, even while stopping
      QueuedAppend item;
      item.control = [&ran, &fn] {
        fn();
        ran.set_value();
      };
      queue_.push_back(std::move(item));
      lock.unlock();
      queue_cv_.notify_one();
      ran.get_future().wait();
      return;
    }
  }
  fn();  // the I/O thread is not running: nothing can be writing
}

void LogImpl::Enqueue(PartitionImpl* partition, BatchBuilder&& batch, AppendCallback done) {
  if (batch.empty()) return done(Status::InvalidArgument("an empty batch cannot be appended"));
  if (partition->dropped()) {
    return done(Status::NotFound(fmt::format("log stream `{}` was dropped", partition->stream())));
  }
  if (failed()) return done(Status::Unavailable(failure_));
  if (disk_full_.load(std::memory_order_acquire)) {
    std::lock_guard lock(disk_mu_);
    return done(Status::DiskFull(disk_full_message_));
  }
  QueuedAppend item;
  item.framed_bytes = batch.framed_bytes();
  if (item.framed_bytes > kBatchBytesMax) {
    return done(Status::InvalidArgument(fmt::format("a batch of {} bytes exceeds the log's limit of {} bytes per batch",
                                                    item.framed_bytes, kBatchBytesMax)));
  }
  uint64_t pending = pending_bytes_.fetch_add(item.framed_bytes);
  pending_gauge_->Add(static_cast<int64_t>(item.framed_bytes));
  if (pending > 0 && pending + item.framed_bytes > options_.pending_bytes_max) {
    pending_bytes_.fetch_sub(item.framed_bytes);
    pending_gauge_->Add(-static_cast<int64_t>(item.framed_bytes));
    return done(Status::ResourceExhausted(
        fmt::format("the log's append queue holds {} bytes and its limit (log_pending_bytes_max) is {}", pending,
                    options_.pending_bytes_max)));
  }
  item.partition = partition;
  item.batch.emplace(std::move(batch));
  item.done = std::move(done);
  item.enqueued_ns = MonotonicNowNanos();
  std::unique_lock lock(queue_mu_);
  if (!running_) {
    lock.unlock();
    pending_bytes_.fetch_sub(item.framed_bytes);
    pending_gauge_->Add(-static_cast<int64_t>(item.framed_bytes));
    return item.done(Status::Unavailable("the log is stopped"));
  }
  queue_.push_back(std::move(item));
  lock.unlock();
  queue_cv_.notify_one();
}

void LogImpl::IoLoop() {
  std::vector<QueuedAppend> items;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || !running_; });
      if (queue_.empty()) {  // stopped and drained
        io_active_ = false;
        return;
      }
      items.swap(queue_);
    }
    // A control item (a drop) runs between two group commits: the appends queued before it are
    // one cycle, those after it the next.
    size_t begin = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].control) continue;
      if (i > begin) RunCycle(std::span(items).subspan(begin, i - begin));
      items[i].control();
      begin = i + 1;
    }
    if (begin < items.size()) RunCycle(std::span(items).subspan(begin));
    items.clear();
  }
}

// One group commit: stage every queued batch, write each touched partition once, sync each once,
// publish, then acknowledge.
void LogImpl::RunCycle(std::span<QueuedAppend> items) {
  const int64_t now_us = WallNowMicros();
  std::vector<PartitionImpl*> touched;
  std::vector<std::optional<Result<AppendResult>>> results(items.size());
  std::vector<bool> in_cycle(items.size());  // answered by the cycle's outcome when it fails
  Status cycle_status;
  // The guard's headroom, ahead of each append: what this cycle writes must leave the minimum free.
  const std::optional<DiskSpace> space = ReadDiskSpace();
  uint64_t cycle_bytes = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    QueuedAppend& item = items[i];
    PartitionImpl* p = item.partition;
    const uint64_t needed_bytes = space ? space->min_bytes + cycle_bytes + item.framed_bytes : 0;
    if (p->dropped()) {
      results[i] = Status::NotFound(fmt::format("log stream `{}` was dropped", p->stream()));
    } else if (space && space->free_bytes < needed_bytes) {
      std::string message = DiskFullMessage(*space, cycle_bytes + item.framed_bytes);
      results[i] = Status::DiskFull(message);
      // Below the minimum: every append is refused at once until the maintenance thread sees it free.
      if (space->free_bytes < space->min_bytes) SetDiskFull(true, message);
    } else if (failed() || !cycle_status.ok()) {
      results[i] = Status::Unavailable(failed() ? failure_ : cycle_status.message());
      in_cycle[i] = !failed();
    } else if (std::optional<AppendResult> first = p->FindProducerKey(item.batch->producer_key(), now_us)) {
      results[i] = *first;  // acknowledged with this cycle: the first append may be in it
      in_cycle[i] = true;
    } else {
      if (std::find(touched.begin(), touched.end(), p) == touched.end()) {
        p->StartCycle();
        touched.push_back(p);
      }
      auto staged = p->Stage(*item.batch, now_us);
      if (!staged.ok()) cycle_status = staged.status();
      in_cycle[i] = true;
      cycle_bytes += item.framed_bytes;
      results[i] = std::move(staged);
    }
  }
  bool write_failed = false;
  for (PartitionImpl* p : touched) {
    if (!cycle_status.ok()) break;
    cycle_status = p->WriteStaged();
    write_failed = !cycle_status.ok();
  }
  if (cycle_status.ok() && options_.durability == Durability::kFsync) {
    for (PartitionImpl* p : touched) {
      int64_t start = MonotonicNowNanos();
      cycle_status = p->SyncActive();
      fsync_seconds_->ObserveNanos(MonotonicNowNanos() - start);
      if (!cycle_status.ok()) break;
    }
  }
  Status cycle_failure;
  if (!cycle_status.ok()) {
    if (write_failed) {
      cycle_failure = RollBack(touched, cycle_status);
    } else {
      FailStop(cycle_status);
      cycle_failure = Status::Unavailable(failure_);
    }
  } else {
    for (PartitionImpl* p : touched) p->Publish();
  }
  const int64_t done_ns = MonotonicNowNanos();
  for (size_t i = 0; i < items.size(); ++i) {
    QueuedAppend& item = items[i];
    pending_bytes_.fetch_sub(item.framed_bytes);
    pending_gauge_->Add(-static_cast<int64_t>(item.framed_bytes));
    Result<AppendResult> result = *results[i];
    if (in_cycle[i] && !cycle_failure.ok()) result = cycle_failure;
    if (result.ok()) {
      batches_->Add();
      append_seconds_->ObserveNanos(done_ns - item.enqueued_ns);
    }
    item.done(std::move(result));
  }
}

// A failed write(2) leaves the page cache as it was: cutting every touched file back to where the
// cycle began (synced) makes the cycle as if it never happened, so the log goes on and the callers
// retry (a failed sync is different: see FailStop). Returns the cycle's appends' error.
Status LogImpl::RollBack(const std::vector<PartitionImpl*>& touched, const Status& cause) {
  for (PartitionImpl* p : touched) {
    if (Status undone = p->RollBackCycle(); !undone.ok()) {
      FailStop(Status::IoError(fmt::format("{}; undoing it failed too: {}", cause.ToString(), undone.message())));
      return Status::Unavailable(failure_);
    }
  }
  spdlog::error("log: a write failed and the group commit was undone; the log goes on: {}", cause.ToString());
  const std::string message =
      fmt::format("the log could not write this append ({}); nothing of it was kept and the log goes on: retry{}",
                  cause.message(), cause.code() == StatusCode::kDiskFull ? " once space is freed" : "");
  return cause.code() == StatusCode::kDiskFull ? Status::DiskFull(message) : Status::Unavailable(message);
}

void LogImpl::FailStop(const Status& cause) {
  if (failed()) return;
  failure_ = fmt::format(
      "the log stopped accepting writes after a failed sync (or a write it could not undo) ({}); data already "
      "acknowledged is safe, but nothing more is written until the server is restarted after "
      "the disk is checked",
      cause.ToString());
  failed_.store(true, std::memory_order_release);
  failed_gauge_->Set(1);
  spdlog::critical("log: {}", failure_);
}

void LogImpl::MaintenanceLoop() {
  std::unique_lock lock(maintenance_mu_);
  while (!maintenance_stop_) {
    maintenance_cv_.wait_for(lock, options_.maintenance_interval_ms, [&] { return maintenance_stop_; });
    if (maintenance_stop_) break;
    lock.unlock();
    CheckFreeSpace();
    ApplyRetention();
    lock.lock();
  }
}

std::optional<LogImpl::DiskSpace> LogImpl::ReadDiskSpace() const {
  struct statvfs vfs {};
  if (::statvfs(options_.dir.c_str(), &vfs) != 0) {
    spdlog::warn("log: statvfs {} failed: {}", options_.dir.string(), std::strerror(errno));
    return std::nullopt;
  }
  DiskSpace space;
  space.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  space.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const auto percent_bytes =
      static_cast<uint64_t>(static_cast<double>(space.total_bytes) * options_.free_space_min_percent / 100.0);
  space.min_bytes = std::max(options_.free_space_min_bytes, percent_bytes);
  return space;
}

std::string LogImpl::DiskFullMessage(const DiskSpace& space, uint64_t append_bytes) const {
  return fmt::format(
      "free space on {} is {} bytes{}, below the minimum of {} bytes (the larger of free_space_min_bytes {} and "
      "free_space_min_percent {}% of {} bytes); appends resume when space is freed",
      options_.dir.string(), space.free_bytes,
      append_bytes > 0 ? fmt::format(" and the append needs {} more", append_bytes) : "", space.min_bytes,
      options_.free_space_min_bytes, options_.free_space_min_percent, space.total_bytes);
}

void LogImpl::SetDiskFull(bool full, const std::string& message) {
  const bool was_full = disk_full_.exchange(full, std::memory_order_acq_rel);
  disk_full_gauge_->Set(full ? 1 : 0);
  if (full) {
    std::lock_guard lock(disk_mu_);
    disk_full_message_ = message;
  }
  if (full && !was_full) spdlog::error("log: refusing appends: {}", message);
  if (!full && was_full) {
    spdlog::info("log: free space on {} is back above the minimum; accepting appends", options_.dir.string());
  }
}

void LogImpl::CheckFreeSpace() {
  const std::optional<DiskSpace> space = ReadDiskSpace();
  if (!space) return;
  const bool full = space->min_bytes > 0 && space->free_bytes < space->min_bytes;
  SetDiskFull(full, full ? DiskFullMessage(*space, 0) : "");
}

void LogImpl::ApplyRetention() {
  std::vector<StreamImpl*> streams;
  RetentionGuard guard;
  {
    std::lock_guard lock(streams_mu_);
    for (auto& [name, s] : streams_) streams.push_back(s.get());
    guard = guard_;
  }
  const int64_t now_us = WallNowMicros();
  std::lock_guard files_lock(files_mu_);
  for (StreamImpl* s : streams) {
    uint64_t bytes = 0;
    for (int32_t p = 0; p < s->partition_count(); ++p) {
      PartitionImpl* partition = s->impl(PartitionId(p));
      if (partition->dropped()) continue;
      Offset keep_from = guard ? guard(s->name(), PartitionId(p)) : partition->next_offset();
      partition->ApplyRetention(s->retention(), keep_from, now_us);
      bytes += partition->stats().size_bytes;
    }
    if (!s->impl(PartitionId(0))->dropped()) s->size_gauge->Set(static_cast<int64_t>(bytes));
  }
}

}  // namespace

Status LogOptions::Validate() const {
  if (dir.empty()) return Status::InvalidArgument("log: dir must be set");
  if (segment_bytes_max < 1024) {
    return Status::InvalidArgument(fmt::format("segment_bytes_max must be at least 1024, found {}", segment_bytes_max));
  }
  if (!(free_space_min_percent >= 0 && free_space_min_percent <= 100)) {
    return Status::InvalidArgument(
        fmt::format("free_space_min_percent must be between 0 and 100, found {}", free_space_min_percent));
  }
  if (pending_bytes_max == 0) return Status::InvalidArgument("log_pending_bytes_max must be above 0");
  if (maintenance_interval_ms.count() <= 0) return Status::InvalidArgument("maintenance_interval_ms must be above 0");
  if (producer_key_window_ms.count() < 0) {
    return Status::InvalidArgument("idempotency_window_hours must be 0 or more");
  }
  if (producer_keys_max == 0) return Status::InvalidArgument("idempotency_keys_max must be above 0");
  return Status::Ok();
}

Result<std::unique_ptr<Log>> Log::Open(const LogOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  auto log = std::make_unique<LogImpl>(options);
  LAGOA_RETURN_IF_ERROR(log->Recover());
  return std::unique_ptr<Log>(std::move(log));
}

}  // namespace lagoa::log

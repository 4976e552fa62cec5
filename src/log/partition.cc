#include "log/partition.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "log/batch.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kConsumersFile = "consumers";
constexpr std::string_view kProducerKeysFile = "producer_keys";
constexpr size_t kConsumerNameBytesMax = 255;
constexpr size_t kReadChunkBytesMin = 64u << 10;

Status ValidateConsumerName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kConsumerNameBytesMax;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                c == '.' || c == ':');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "consumer name `{}`: expected 1 to {} characters of A-Z a-z 0-9 _ - . :", name, kConsumerNameBytesMax));
}

// Reads a partition from an offset, batch by batch, verifying every batch's CRC.
class PartitionReader final : public Reader {
 public:
  PartitionReader(PartitionImpl* partition, Offset from) : partition_(partition), position_(from) {}

  Result<std::vector<ReadRecord>> Next(size_t max_bytes) override {
    std::vector<ReadRecord> records;
    size_t payload_bytes = 0;
    // Each pass reads one chunk of one segment; records point into buffer_, so a pass that would
    // replace buffer_ runs only while no record is collected.
    // Only what is published: a roll makes a segment's bytes readable before the cycle that
    // wrote them is acknowledged, so the partition's end is the bound, not the segment's size.
    const Offset end = partition_->next_offset();
    while (records.empty() && position_ < end) {
      if (!segment_ || position_ >= segment_->end_offset()) LAGOA_RETURN_IF_ERROR(Locate());
      if (!segment_) break;
      const uint64_t readable_bytes = segment_->size_bytes();
      const uint64_t want = std::max<uint64_t>(max_bytes, kReadChunkBytesMin);
      LAGOA_RETURN_IF_ERROR(segment_->ReadAt(file_position_, std::min(want, readable_bytes - file_position_), buffer_));
      size_t at = 0;
      while (payload_bytes < max_bytes || records.empty()) {
        std::span<const std::byte> rest(buffer_.data() + at, buffer_.size() - at);
        if (rest.empty()) break;
        uint32_t batch_bytes = 0;
        if (rest.size() >= kBatchHeaderBytes) {
          auto header = BatchFraming::ParseHeader(rest);
          if (!header.ok()) return Damaged(at, header.status().message());
          batch_bytes = header->batch_bytes;
        }
        if (batch_bytes == 0 || batch_bytes > rest.size()) {
          uint64_t needed = batch_bytes == 0 ? kBatchHeaderBytes : batch_bytes;
          if (file_position_ + at + needed > readable_bytes) {
            return Damaged(at, "a batch runs past the segment's durable end");
          }
          if (at > 0 || !records.empty()) break;  // a later pass reads it from its start
          LAGOA_RETURN_IF_ERROR(
              segment_->ReadAt(file_position_, std::max<uint64_t>(needed, kBatchHeaderBytes), buffer_));
          continue;
        }
        auto header = BatchFraming::ParseHeader(rest);
        // Batches are dense: one that starts past the position means damage, even past the end.
        if (header->base_offset > position_) return DamagedOffsets(at);
        if (header->base_offset >= end) break;  // batches are published whole
        if (header->end_offset() > position_) {
          // A batch can be whole and still damaged: one whose offsets do not continue the log's.
          if (const DamagedBytes* damage = segment_->DamageAt(position_)) return DamageError(*damage);
          std::span<const std::byte> batch = rest.first(batch_bytes);
          if (!BatchFraming::VerifyCrc(*header, batch)) return Damaged(at, "the batch fails its CRC");
          size_t before = records.size();
          LAGOA_RETURN_IF_ERROR(BatchFraming::DecodeRecords(*header, batch, position_, records));
          for (size_t i = before; i < records.size(); ++i) payload_bytes += records[i].payload.size();
          position_ = header->end_offset();
        }
        at += batch_bytes;
      }
      file_position_ += at;
    }
    return records;
  }

  Offset position() const override { return position_; }

 private:
  Status RetentionError() const {
    return Status::OutOfRange(fmt::format(
        "stream {} partition {}: offset {} was deleted by retention; the oldest "
        "offset is {}",
        partition_->stream(), partition_->id().value(), position_.value(), partition_->stats().start_offset.value()));
  }
  // Moves to the segment holding position_.
  Status Locate() {
    if (position_ < partition_->stats().start_offset) return RetentionError();
    segment_ = partition_->SegmentFor(position_);
    if (!segment_) return Status::Ok();
    if (segment_->base_offset() > position_) {
      if (position_ < partition_->stats().start_offset) return RetentionError();
      return Status::Corruption(fmt::format(
          "stream {} partition {}: offsets {} to {} are unreadable (a damaged segment ends early)",
          partition_->stream(), partition_->id().value(), position_.value(), segment_->base_offset().value() - 1));
    }
    if (const DamagedBytes* damage = segment_->DamageAt(position_)) return DamageError(*damage);
    file_position_ = segment_->IndexedPosition(position_);
    return Status::Ok();
  }
  Status Damaged(size_t at, std::string_view what) const {
    return Status::Corruption(fmt::format("stream {} partition {}: {} byte {}: {}; not serving offset {}",
                                          partition_->stream(), partition_->id().value(), segment_->path().string(),
                                          file_position_ + at, what, position_.value()));
  }
  // A batch that starts past the reader's position: the offsets between were damaged at open.
  Status DamagedOffsets(size_t at) const {
    if (const DamagedBytes* damage = segment_->DamageAt(position_)) return DamageError(*damage);
    return Damaged(at, fmt::format("the batch there does not hold offset {}", position_.value()));
  }
  Status DamageError(const DamagedBytes& damage) const {
    return Status::Corruption(
        fmt::format("stream {} partition {}: {} holds damaged batches at {}; not serving offset "
                    "{} (`lagoa log repair` cuts the damage out)",
                    partition_->stream(), partition_->id().value(), segment_->path().string(), DescribeDamage(damage),
                    position_.value()));
  }

  PartitionImpl* const partition_;
  Offset position_;
  std::shared_ptr<Segment> segment_;
  uint64_t file_position_ = 0;
  Bytes buffer_;
};

}  // namespace

Result<std::unique_ptr<PartitionImpl>> PartitionImpl::Open(LogCore* core, std::string stream, PartitionId id,
                                                           fs::path dir, bool create) {
  std::unique_ptr<PartitionImpl> p(new PartitionImpl(core, std::move(stream), id, std::move(dir)));
  if (create) {
    std::error_code ec;
    fs::create_directories(p->dir_, ec);
    if (ec) return Status::IoError(fmt::format("create {}: {}", p->dir_.string(), ec.message()));
    LAGOA_ASSIGN_OR_RETURN(p->active_, Segment::Create(p->dir_, Offset(0)));
    p->segments_.push_back(p->active_);
  } else {
    LAGOA_RETURN_IF_ERROR(p->Recover());
    LAGOA_RETURN_IF_ERROR(p->LoadConsumerOffsets());
  }
  p->write_next_ = p->active_->end_offset();
  LAGOA_ASSIGN_OR_RETURN(p->producer_keys_, ProducerKeys::Open(p->dir_ / kProducerKeysFile, p->write_next_,
                                                               core->options(), WallNowMicros()));
  p->start_offset_.store(p->segments_.front()->base_offset().value());
  p->next_offset_.store(p->write_next_.value());
  for (const auto& segment : p->segments_) {
    if (segment->damage().empty()) continue;
    p->writes_stopped_ = fmt::format(
        "stream {} partition {} takes no writes: {} holds damaged batches at {}, and new offsets must never overwrite "
        "or renumber acknowledged ones; `lagoa log verify` lists the damage and `lagoa log repair` (server stopped) "
        "cuts it out",
        p->stream_, p->id_.value(), segment->path().string(), DescribeDamage(segment->damage().front()));
    break;
  }
  return p;
}

Status PartitionImpl::Recover() {
  std::vector<Offset> bases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() == ".tmp") {
      fs::remove(entry.path(), ec);
    } else if (std::optional<Offset> base = ParseSegmentFileName(entry.path())) {
      bases.push_back(*base);
    }
  }
  if (ec) return Status::IoError(fmt::format("list {}: {}", dir_.string(), ec.message()));
  std::sort(bases.begin(), bases.end());
  if (bases.empty()) {
    spdlog::warn("log: {} has no segment; starting it empty at offset 0", dir_.string());
    LAGOA_ASSIGN_OR_RETURN(active_, Segment::Create(dir_, Offset(0)));
    segments_.push_back(active_);
    return Status::Ok();
  }
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    LAGOA_ASSIGN_OR_RETURN(auto sealed, Segment::OpenSealed(dir_, bases[i]));
    segments_.push_back(std::move(sealed));
  }
  uint64_t truncated = 0;
  LAGOA_ASSIGN_OR_RETURN(active_, Segment::OpenTail(dir_, bases.back(), &truncated));
  segments_.push_back(active_);
  return Status::Ok();
}

Status PartitionImpl::LoadConsumerOffsets() {
  std::ifstream in(dir_ / kConsumersFile);
  if (!in) return Status::Ok();
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string name;
    int64_t offset = -1;
    if (!(fields >> name >> offset) || offset < 0 || !ValidateConsumerName(name).ok()) {
      return Status::Corruption(fmt::format("{} line {}: expected `NAME OFFSET`, found `{}`",
                                            (dir_ / kConsumersFile).string(), line_number, line));
    }
    consumers_[name] = Offset(offset);
  }
  return Status::Ok();
}

void PartitionImpl::Append(BatchBuilder&& batch, AppendCallback done) {
  if (!writes_stopped_.empty()) return done(Status::Unavailable(writes_stopped_));
  core_->Enqueue(this, std::move(batch), std::move(done));
}

void PartitionImpl::SkipTo(Offset next, AppendCallback done) {
  // The gap's size is fixed when it is staged; appends queued meanwhile take at most the log's
  // pending bytes of offsets, far below this margin.
  constexpr int64_t kSkipMax = std::numeric_limits<uint32_t>::max() / 2;
  if (next.value() - next_offset().value() > kSkipMax) {
    return done(Status::InvalidArgument(
        fmt::format("stream {} partition {}: cannot skip from offset {} to {}: at most {} offsets at once", stream_,
                    id_.value(), next_offset().value(), next.value(), kSkipMax)));
  }
  Append(BatchBuilder::GapTo(next), std::move(done));
}

Result<std::unique_ptr<Reader>> PartitionImpl::OpenReader(Offset from) {
  Offset start(start_offset_.load(std::memory_order_acquire));
  if (from < start) {
    return Status::OutOfRange(fmt::format("stream {} partition {}: offset {} is before the oldest offset {}", stream_,
                                          id_.value(), from.value(), start.value()));
  }
  return std::unique_ptr<Reader>(new PartitionReader(this, from));
}

bool PartitionImpl::WaitForData(Offset offset, std::chrono::milliseconds timeout_ms) {
  std::unique_lock lock(wait_mu_);
  return data_arrived_.wait_for(lock, timeout_ms, [&] { return next_offset() > offset || dropped(); }) &&
         next_offset() > offset;
}

PartitionStats PartitionImpl::stats() const {
  PartitionStats stats;
  std::lock_guard lock(segments_mu_);
  stats.start_offset = Offset(start_offset_.load(std::memory_order_acquire));
  stats.next_offset = next_offset();
  for (const auto& s : segments_) stats.size_bytes += s->size_bytes();
  stats.segment_count = segments_.size();
  return stats;
}

void PartitionImpl::MarkDropped() {
  dropped_.store(true, std::memory_order_release);
  { std::lock_guard lock(wait_mu_); }
  data_arrived_.notify_all();
}

Status PartitionImpl::CommitConsumerOffset(std::string_view consumer, Offset next) {
  LAGOA_RETURN_IF_ERROR(ValidateConsumerName(consumer));
  if (dropped()) return Status::NotFound(fmt::format("log stream `{}` was dropped", stream_));
  if (next.value() < 0 || next > next_offset()) {
    return Status::OutOfRange(fmt::format("consumer `{}`: offset {} is beyond the partition's end {}", consumer,
                                          next.value(), next_offset().value()));
  }
  std::lock_guard lock(consumers_mu_);
  auto previous = consumers_;
  consumers_[std::string(consumer)] = next;
  std::string text;
  for (const auto& [name, offset] : consumers_) text += fmt::format("{} {}\n", name, offset.value());
  Status s = WriteFileAtomically(dir_ / kConsumersFile, text);
  if (!s.ok()) consumers_ = std::move(previous);
  return s;
}

std::optional<Offset> PartitionImpl::ConsumerOffset(std::string_view consumer) const {
  std::lock_guard lock(consumers_mu_);
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return std::nullopt;
  return it->second;
}

Result<AppendResult> PartitionImpl::Stage(const BatchBuilder& batch, int64_t ingest_time_us) {
  if (active_->write_size() + staged_.size() >= core_->options().segment_bytes_max) {
    LAGOA_RETURN_IF_ERROR(WriteStaged());
    LAGOA_RETURN_IF_ERROR(Roll());
  }
  const int64_t count = batch.gap() ? batch.gap_to().value() - write_next_.value() : batch.record_count();
  AppendResult result{write_next_, write_next_ + (count - 1)};
  if (count <= 0) return result;  // a gap that other appends closed already
  if (!batch.producer_key().empty()) producer_keys_->Add(batch.producer_key(), ingest_time_us, result);
  active_->NoteBatch(write_next_, active_->write_size() + staged_.size());
  // The first batch of a write tells recovery where the unsynced bytes can begin (batch.h).
  BatchFraming::Frame(batch, write_next_, ingest_time_us, staged_.empty() ? kBatchFlagWriteStart : 0, staged_);
  write_next_ += count;
  staged_max_ingest_us_ = std::max(staged_max_ingest_us_, ingest_time_us);
  return result;
}

std::optional<AppendResult> PartitionImpl::FindProducerKey(const std::string& key, int64_t now_us) {
  if (key.empty()) return std::nullopt;
  return producer_keys_->Find(key, now_us);
}

Status PartitionImpl::WriteStaged() {
  if (staged_.empty()) return Status::Ok();
  // Keys first: a batch on disk always has its key on disk (producer_keys.h).
  LAGOA_RETURN_IF_ERROR(producer_keys_->WritePending(core_->options().durability == Durability::kFsync));
  Status s = active_->Write(staged_);
  staged_.clear();
  if (staged_.capacity() > (16u << 20)) Bytes().swap(staged_);
  return s;
}

Status PartitionImpl::SyncActive() { return active_->Sync(); }

void PartitionImpl::StartCycle() {
  cycle_segment_ = active_;
  cycle_write_bytes_ = active_->write_size();
  cycle_next_ = write_next_;
  producer_keys_->StartCycle();
}

Status PartitionImpl::RollBackCycle() {
  staged_.clear();
  if (active_ != cycle_segment_) {
    return Status::FailedPrecondition(fmt::format(
        "stream {} partition {}: a segment was sealed during the failed group commit", stream_, id_.value()));
  }
  LAGOA_RETURN_IF_ERROR(active_->TruncateTo(cycle_write_bytes_));
  write_next_ = cycle_next_;
  return producer_keys_->RollBackCycle();
}

void PartitionImpl::Publish() {
  active_->Publish(write_next_, staged_max_ingest_us_);
  next_offset_.store(write_next_.value(), std::memory_order_release);
  { std::lock_guard lock(wait_mu_); }
  data_arrived_.notify_all();
}

Status PartitionImpl::Roll() {
  // The full segment is synced and published before the next one exists: readers and recovery
  // then only ever find a torn tail in the last segment.
  LAGOA_RETURN_IF_ERROR(active_->Sync());
  active_->Publish(write_next_, staged_max_ingest_us_);
  if (Status indexed = active_->Seal(); !indexed.ok()) {
    // The index only speeds up opening; a missing one is rebuilt from the segment then.
    spdlog::warn("log: {}: the sealed segment's index was not written; it is rebuilt when the log opens: {}",
                 dir_.string(), indexed.ToString());
  }
  LAGOA_ASSIGN_OR_RETURN(auto next, Segment::Create(dir_, write_next_));
  {
    std::lock_guard lock(segments_mu_);
    segments_.push_back(next);
  }
  active_ = std::move(next);
  staged_max_ingest_us_ = 0;
  return Status::Ok();
}

std::shared_ptr<Segment> PartitionImpl::SegmentFor(Offset offset) const {
  std::lock_guard lock(segments_mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](Offset o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
  if (it != segments_.begin() && offset < (*std::prev(it))->end_offset()) return *std::prev(it);
  if (it == segments_.end()) return nullptr;
  return *it;
}

uint64_t PartitionImpl::ApplyRetention(const RetentionPolicy& policy, Offset keep_from, int64_t now_us) {
  if (policy.max_age_ms < 0 && policy.max_bytes < 0) return 0;
  std::vector<std::shared_ptr<Segment>> victims;
  {
    std::lock_guard lock(segments_mu_);
    uint64_t total = 0;
    for (const auto& s : segments_) total += s->size_bytes();
    // The last segment is the active one and is never deleted.
    while (segments_.size() > 1) {
      const auto& oldest = segments_.front();
      const auto& successor = segments_[1];
      // Ages beyond what microseconds since the epoch can hold never expire.
      bool too_old = policy.max_age_ms >= 0 && policy.max_age_ms < now_us / 1000 &&
                     oldest->max_ingest_time_us() < now_us - policy.max_age_ms * 1000;
      bool too_big = policy.max_bytes >= 0 && total > static_cast<uint64_t>(policy.max_bytes);
      if (!(too_old || too_big) || successor->base_offset() > keep_from) break;
      total -= oldest->size_bytes();
      // Unlinked under the lock, so stats() never counts a segment whose file is gone or the
      // reverse; open readers keep reading through their descriptor.
      oldest->RemoveFiles();
      victims.push_back(oldest);
      segments_.erase(segments_.begin());
      start_offset_.store(segments_.front()->base_offset().value(), std::memory_order_release);
    }
  }
  uint64_t deleted = 0;
  for (const auto& v : victims) {
    spdlog::info("log: retention deleted {} (offsets {} to {})", v->path().string(), v->base_offset().value(),
                 v->end_offset().value() - 1);
    deleted += v->size_bytes();
  }
  if (!victims.empty()) {
    // Durable deletions: a crash must not bring an old segment back below start_offset.
    Status s = SyncDir(dir_);
    if (!s.ok()) spdlog::warn("log: {}", s.ToString());
  }
  return deleted;
}

}  // namespace lagoa::log

#include "log/log_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/file_util.h"
#include "log/batch.h"
#include "log/log.h"
#include "log/segment.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRepairsFile = "repairs";
constexpr size_t kSegmentBytesMax = size_t{4} << 30;

std::optional<int32_t> ParsePartitionDirName(const fs::path& path) {
  const std::string name = path.filename().string();
  int32_t value = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc() || end != name.data() + name.size() || value < 0) return std::nullopt;
  return value;
}

Result<PartitionCheck> CheckPartition(const std::string& stream, PartitionId partition, const fs::path& dir) {
  PartitionCheck check{stream, partition, dir, {}};
  std::vector<Offset> bases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (std::optional<Offset> base = ParseSegmentFileName(entry.path())) bases.push_back(*base);
  }
  if (ec) return Status::IoError(fmt::format("list {}: {}", dir.string(), ec.message()));
  std::sort(bases.begin(), bases.end());
  for (size_t i = 0; i < bases.size(); ++i) {
    SegmentCheck& segment = check.segments.emplace_back();
    segment.path = dir / SegmentFileName(bases[i]);
    segment.base = bases[i];
    segment.last = i + 1 == bases.size();
    LAGOA_ASSIGN_OR_RETURN(SegmentLayout layout, ScanSegment(segment.path, bases[i]));
    segment.file_bytes = layout.file_bytes;
    segment.gap_batches = layout.gap_batches;
    segment.end = layout.runs.empty() ? bases[i] : layout.runs.back().end_offset;
    const size_t damaged = segment.last ? layout.torn_from : layout.damage.size();
    segment.damage.assign(layout.damage.begin(), layout.damage.begin() + static_cast<std::ptrdiff_t>(damaged));
    if (segment.last && layout.torn_from < layout.damage.size()) {
      segment.torn = layout.damage[layout.torn_from];
      segment.torn->end_byte = layout.file_bytes;
      segment.torn->end_offset.reset();
    }
    // Damage at a sealed segment's end held the offsets up to the next segment's base.
    if (!segment.last && !segment.damage.empty() && !segment.damage.back().end_offset &&
        bases[i + 1] >= segment.damage.back().first_offset) {
      segment.damage.back().end_offset = bases[i + 1];
    }
  }
  return check;
}

Status AppendRepairRecord(const fs::path& dir, std::string_view lines) {
  const fs::path path = dir / kRepairsFile;
  LAGOA_ASSIGN_OR_RETURN(const int fd, OpenFile(path, O_WRONLY | O_CREAT | O_APPEND));
  Status s = WriteAll(fd, AsBytes(lines), path);
  if (s.ok()) s = SyncFile(fd, path);
  ::close(fd);
  LAGOA_RETURN_IF_ERROR(s);
  return SyncDir(dir);
}

// Gap batches over [first, end), each within what one batch header can count.
void FrameGaps(Offset first, Offset end, Bytes& out) {
  constexpr int64_t kGapMax = std::numeric_limits<uint32_t>::max();
  while (first < end) {
    const Offset to(std::min(end.value(), first.value() + kGapMax));
    BatchFraming::Frame(BatchBuilder::GapTo(to), first, WallNowMicros(), kBatchFlagWriteStart, out);
    first = to;
  }
}

// A rebuilt batch holds at most this many records or about this many bytes of them.
constexpr uint32_t kRebuiltBatchRecordsMax = 4096;
constexpr uint64_t kRebuiltBatchBytesMax = 1u << 20;

// Frames what replaces the damaged offsets [first, end): batches of the records `source` gives
// back (a new batch wherever the offsets, schema version or ingest time break), gap batches over
// the offsets it does not give.
Status FrameRebuilt(const RebuildSource& source, Offset first, Offset end, RepairedStretch& stretch, Bytes& out) {
  Offset next = first;  // the first offset nothing is framed for yet
  std::optional<BatchBuilder> batch;
  Offset batch_base;
  int64_t batch_ingest_us = 0;
  auto flush = [&] {
    if (!batch) return;
    BatchFraming::Frame(*batch, batch_base, batch_ingest_us, kBatchFlagWriteStart, out);
    next = batch_base + batch->record_count();
    batch.reset();
  };
  auto gap_to = [&](Offset to) {
    if (next >= to) return;
    FrameGaps(next, to, out);
    stretch.gaps.emplace_back(next, to);
    next = to;
  };
  if (source) {
    LAGOA_RETURN_IF_ERROR(source(first, end, [&](const ReadRecord& record) -> Status {
      const Offset expected = batch ? batch_base + batch->record_count() : next;
      if (record.offset < expected || record.offset >= end) {
        return Status::InvalidArgument(
            fmt::format("the records to rebuild offsets {} to {} from gave offset {} after offset {}", first.value(),
                        end.value() - 1, record.offset.value(), expected.value() - 1));
      }
      if (batch && (record.offset != expected || record.schema_version != batch->schema_version() ||
                    record.ingest_time_us != batch_ingest_us || batch->record_count() >= kRebuiltBatchRecordsMax ||
                    batch->framed_bytes() + record.payload.size() > kRebuiltBatchBytesMax)) {
        flush();
      }
      if (!batch) {
        gap_to(record.offset);
        batch.emplace(record.schema_version);
        batch_base = record.offset;
        batch_ingest_us = record.ingest_time_us;
      }
      batch->Add(record.event_time_us, record.payload);
      ++stretch.rebuilt_records;
      return Status::Ok();
    }));
  }
  flush();
  gap_to(end);
  return Status::Ok();
}

// The segment's new bytes: its good batches, in place of each damaged stretch what `source` gives
// back and gap batches, and nothing from its torn tail on.
Result<Bytes> RepairedBytes(const SegmentCheck& segment, const RebuildSource& source,
                            std::vector<RepairedStretch>& done) {
  LAGOA_ASSIGN_OR_RETURN(std::string old, ReadWholeFile(segment.path, kSegmentBytesMax));
  const uint64_t keep_end = segment.torn ? segment.torn->begin_byte : old.size();
  Bytes out;
  uint64_t copied_to = 0;
  for (const DamagedBytes& damage : segment.damage) {
    PutBytes(out, AsBytes(std::string_view(old).substr(copied_to, damage.begin_byte - copied_to)));
    copied_to = damage.end_byte;
    RepairedStretch& stretch = done.emplace_back();
    stretch.segment = segment.path;
    stretch.damage = damage;
    if (!damage.end_offset) {
      stretch.cut = true;
    } else if (*damage.end_offset > damage.first_offset) {
      LAGOA_RETURN_IF_ERROR(FrameRebuilt(source, damage.first_offset, *damage.end_offset, stretch, out));
    }
  }
  if (copied_to < keep_end) PutBytes(out, AsBytes(std::string_view(old).substr(copied_to, keep_end - copied_to)));
  if (segment.torn) {
    RepairedStretch& stretch = done.emplace_back();
    stretch.segment = segment.path;
    stretch.damage = *segment.torn;
    stretch.cut = true;
  }
  return out;
}

std::string RepairLine(const RepairedStretch& stretch) {
  std::string what;
  if (stretch.cut) {
    what = "cut";
  } else if (stretch.rebuilt_records == 0) {
    what = "gap";
  } else {
    what = fmt::format("rebuilt {} records", stretch.rebuilt_records);
    for (const auto& [first, end] : stretch.gaps)
      what += fmt::format(", gap at {} to {}", first.value(), end.value() - 1);
  }
  return fmt::format("{} {} {}: {}\n", WallNowMicros(), stretch.segment.filename().string(), what,
                     DescribeDamage(stretch.damage));
}

Status ReplaceSegment(const SegmentCheck& segment, const Bytes& bytes) {
  // Through `<base>.log.tmp`, which recovery deletes if the repair is cut short.
  LAGOA_RETURN_IF_ERROR(WriteFileAtomically(segment.path, AsStringView(bytes)));
  // The sparse index points into the old bytes; recovery rebuilds it from the new ones.
  std::error_code ec;
  fs::path index = segment.path;
  fs::remove(index.replace_extension(".index"), ec);
  return SyncDir(segment.path.parent_path());
}

}  // namespace

bool PartitionCheck::damaged() const {
  return std::any_of(segments.begin(), segments.end(),
                     [](const SegmentCheck& s) { return !s.damage.empty() || s.torn.has_value(); });
}

Result<std::vector<PartitionCheck>> CheckLog(const fs::path& log_dir, const std::optional<std::string>& stream) {
  std::vector<fs::path> stream_dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(log_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with('.') || !entry.is_directory() || !fs::exists(entry.path() / "stream.meta")) continue;
    if (stream && name != *stream) continue;
    stream_dirs.push_back(entry.path());
  }
  if (ec) return Status::IoError(fmt::format("list {}: {}", log_dir.string(), ec.message()));
  if (stream && stream_dirs.empty()) {
    return Status::NotFound(fmt::format("{} holds no stream `{}`", log_dir.string(), *stream));
  }
  std::sort(stream_dirs.begin(), stream_dirs.end());
  std::vector<PartitionCheck> checks;
  for (const fs::path& stream_dir : stream_dirs) {
    std::vector<int32_t> partitions;
    for (const auto& entry : fs::directory_iterator(stream_dir, ec)) {
      if (std::optional<int32_t> p = ParsePartitionDirName(entry.path()); p && entry.is_directory()) {
        partitions.push_back(*p);
      }
    }
    if (ec) return Status::IoError(fmt::format("list {}: {}", stream_dir.string(), ec.message()));
    std::sort(partitions.begin(), partitions.end());
    for (int32_t p : partitions) {
      LAGOA_ASSIGN_OR_RETURN(PartitionCheck check, CheckPartition(stream_dir.filename().string(), PartitionId(p),
                                                                  stream_dir / std::to_string(p)));
      checks.push_back(std::move(check));
    }
  }
  return checks;
}

Result<std::vector<RepairedStretch>> RepairPartition(const PartitionCheck& check, const RebuildSource& source) {
  std::vector<RepairedStretch> done;
  for (const SegmentCheck& segment : check.segments) {
    if (segment.damage.empty() && !segment.torn) continue;
    const size_t first_new = done.size();
    LAGOA_ASSIGN_OR_RETURN(Bytes bytes, RepairedBytes(segment, source, done));
    std::string lines;
    for (size_t i = first_new; i < done.size(); ++i) lines += RepairLine(done[i]);
    LAGOA_RETURN_IF_ERROR(AppendRepairRecord(check.dir, lines));
    LAGOA_RETURN_IF_ERROR(ReplaceSegment(segment, bytes));
    for (size_t i = first_new; i < done.size(); ++i) {
      spdlog::warn("log: repair of stream {} partition {}: {}", check.stream, check.partition.value(),
                   RepairLine(done[i]));
    }
  }
  return done;
}

}  // namespace lagoa::log
